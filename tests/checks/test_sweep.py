"""Validate everything, in this process: the service the sweep task and the command call."""

from django.utils import timezone

from applications.models import Application, Option, PendingRestartChange
from security import sweeps, validation
from security.models import Finding, Sweep, SweepItem, SweepStatus, TrustedStore
from security.tasks import validate_everything


def broken_world(world):
    world.store("Expired", certs=("expired-ca.pem",))
    world.store("Expired copy", certs=("expired-ca.pem",))
    world.security(world.node1, provider="PEM")
    world.connect(world.cluster, world.message_default)
    return world


def snapshot() -> list[tuple]:
    return sorted(Finding.objects.values_list("subject", "code", "detail_key", "severity", "message"))


def test_a_sweep_validates_every_store_and_application_and_counts(world):
    broken_world(world)
    sweep = sweeps.sweep_create(trigger="ui", actor="tests")

    sweeps.run_sweep(sweep.pk)

    sweep.refresh_from_db()
    objects = TrustedStore.objects.count() + Application.objects.count()
    assert sweep.status == SweepStatus.DONE and sweep.total == objects
    assert SweepItem.objects.filter(sweep=sweep).count() == objects
    # Two expired stores, Node 1's trusted-ca missing, and neither Node has a TLS connection to run.
    assert sweep.error_count == Finding.objects.filter(severity="error").count() == 5
    assert sweep.warning_count == 2  # the Nodes differ; the cluster uses a non-secure port
    assert sweeps.sweep_progress(sweep).as_json()["percent"] == 100


def test_a_sweep_started_again_skips_what_it_has_done_and_ends_with_the_same_findings(world):
    broken_world(world)
    sweeps.run_sweep(sweeps.sweep_create(trigger="ui").pk)
    expected = snapshot()
    Finding.objects.all().delete()

    # A sweep whose worker died after two objects: those are recorded, the rest is not.
    sweep = sweeps.sweep_create(trigger="beat")
    first_two = sweeps.sweep_plan()[:2]
    for subject in first_two:
        validation.validate_store(store_id=int(subject.split(":")[1]), sweep=sweep)
    assert sweep.items.count() == 2

    sweeps.run_sweep(sweep.pk)

    assert snapshot() == expected
    assert sweep.items.count() == len(sweeps.sweep_plan())


def test_a_sweep_picks_up_work_requested_while_the_broker_was_down(world):
    Option.objects.create(application=world.node1, section="security", name="provider", value="PEM")
    Application.objects.filter(pk=world.node1.pk).update(checks_requested_at=timezone.now())

    sweeps.run_sweep(sweeps.sweep_create(trigger="beat").pk)

    assert Application.objects.get(pk=world.node1.pk).checks_requested_at is None
    assert PendingRestartChange.objects.filter(application=world.node1).exists()
    assert Finding.objects.filter(subject=f"application:{world.node1.pk}", code="application.trusted_ca_missing")


def test_the_pending_task_runs_only_what_was_requested(world):
    flagged = world.store("Flagged", certs=("expired-ca.pem",))
    quiet = world.store("Quiet", certs=("expired-ca.pem",))
    TrustedStore.objects.filter(pk=flagged.pk).update(checks_requested_at=timezone.now())
    TrustedStore.objects.filter(pk=quiet.pk).update(checks_requested_at=None)

    assert validation.validate_pending() == 1

    assert Finding.objects.filter(subject=f"store:{flagged.pk}").exists()
    assert not Finding.objects.filter(subject=f"store:{quiet.pk}").exists()


def test_a_beat_sweep_delivered_twice_is_one_sweep(world):
    broken_world(world)

    validate_everything.apply(task_id="beat-task-1")
    validate_everything.apply(task_id="beat-task-1")

    assert Sweep.objects.filter(task_id="beat-task-1").count() == 1
    assert Sweep.objects.get().status == SweepStatus.DONE


def test_old_sweeps_are_pruned(world):
    old = sweeps.sweep_create(trigger="beat")
    Sweep.objects.filter(pk=old.pk).update(created_at=timezone.now() - timezone.timedelta(days=40))

    sweeps.run_sweep(sweeps.sweep_create(trigger="beat").pk)

    assert not Sweep.objects.filter(pk=old.pk).exists()


def test_stores_are_validated_a_chunk_at_a_time_and_a_broken_one_is_found_alone(world, monkeypatch):
    stores = [world.store(f"Store {i}") for i in range(3)]
    broken = stores[1]
    checked = validation.store_issues

    def store_issues(store, cache):
        if store.pk == broken.pk:
            raise ValueError("unreadable")
        return checked(store, cache)

    monkeypatch.setattr(validation, "store_issues", store_issues)
    monkeypatch.setattr(sweeps, "CHUNK", 2)
    calls = []
    sweep = sweeps.sweep_create(trigger="ui", actor="tests")

    sweeps.run_sweep(sweep.pk, progress=lambda done, total: calls.append(done))

    sweep.refresh_from_db()
    total = len(sweeps.sweep_plan())
    assert sweep.status == SweepStatus.DONE and sweep.items.count() == total
    assert sweep.message == f"1 object(s) could not be validated: store:{broken.pk}: unreadable"
    validated = set(TrustedStore.objects.filter(last_validated_at__isnull=False).values_list("pk", flat=True))
    assert validated == {stores[0].pk, stores[2].pk}
    assert calls[:2] == [2, 3]  # the stores by two, then the applications by two
    assert calls[-1] == total
