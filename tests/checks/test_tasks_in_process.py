"""Without a broker (a development checkout) the tasks run in-process after the commit."""

from applications.models import Application, PendingRestartChange
from applications.options import OptionChange, options_apply
from security.models import Finding
from tests.checks.world import codes


def test_saving_the_security_section_flags_the_restart_and_runs_the_checks(world, users,
                                                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        options_apply(application=world.node1, changes=[OptionChange("security", "provider", "PEM")],
                      actor=users["security"])

    assert set(PendingRestartChange.objects.filter(application=world.node1).values_list("name", flat=True)) == {
        "provider"}
    assert "application.trusted_ca_missing" in codes(world.node1)
    assert Application.objects.get(pk=world.node1.pk).checks_requested_at is None


def test_saving_a_store_validates_it(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        store = world.store("Old", certs=("expired-ca.pem",))

    assert codes(store) == {"store.expired"}
    assert Finding.objects.get(subject=f"store:{store.pk}").store == store
