"""The number of applications using each trusted store the database keeps (``StoreUserCount``, written by
triggers) equals what ``users_count`` counts over the assignments and ``trusted-ca`` options after every kind
of write that changes it: the security section set from a store and taken off, a path typed, a store's path
changed, a store deleted, an application cloned and deleted, options and assignments written in bulk, a
revert, and random sequences of all of these. The stores list sorted by "used by" reads it. On SQLite and on
PostgreSQL (``DATABASE_URL``)."""

import random
import threading

import pytest
from django.db import connection, connections
from django.urls import reverse

from applications import history, services
from applications.models import Application, Option
from applications.revert import revert_application
from security import store_users
from security.models import StoreAssignment, StoreUse, StoreUserCount, StoreUserCountChange, TrustedStore
from security.section import security_section_set
from security.stores import applications_using, store_delete, users_count, users_first_names, users_query
from tests.checks.world import World
from tests.conftest import require

STORES = reverse("security:store_list")


def assert_exact() -> None:
    computed = users_count()
    assert store_users.kept_users() == computed
    # The stores list names the first users of each store from the kept pairs: the same, before a fold too.
    stores = list(TrustedStore.objects.all())
    assert users_first_names(stores, 1000) == users_named(stores)
    store_users.fold()  # what runs after each writing transaction commits (PostgreSQL)
    assert not StoreUserCountChange.objects.exists()
    assert not StoreUse.objects.filter(ways__lte=0).exists()
    assert dict(StoreUserCount.objects.values_list("store_id", "users")) == computed


def users_named(stores: list[TrustedStore]) -> dict[int, tuple[int, list[tuple[str, int]]]]:
    """What ``users_first_names`` gives, from ``users_query`` (the assignments and options themselves)."""
    sql, params = users_query(stores)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        pairs = cursor.fetchall()
    names = dict(Application.objects.values_list("pk", "name"))
    named: dict[int, list[tuple[str, int]]] = {}
    for store_id, app_id in pairs:
        named.setdefault(store_id, []).append((names[app_id], app_id))
    return {store_id: (len(users), sorted(users)) for store_id, users in named.items()}


@pytest.fixture
def estate(world: World, users) -> World:
    """Three stores; Node_1 set from one (assigned and named by path), Node_2 naming another's path only."""
    world.pem = world.store("Genesys CA")
    world.other = world.store("Other CA", windows_path="C:\\certs\\other.pem")
    world.spare = world.store("Spare CA")
    world.security(world.node1, store=world.pem)
    world.security(world.node2, provider="PEM", trusted_ca=world.other.path)
    world.users = users
    return world


def test_the_migration_filled_and_the_triggers_keep_the_counts(estate):
    assert users_count() == {estate.pem.pk: 1, estate.other.pk: 1}  # the test sees both ways of using a store
    assert_exact()


def test_the_security_section_set_from_a_store_and_taken_off(estate):
    officer = estate.users["security"]
    security_section_set(application=estate.cluster, provider="PEM", store=estate.pem, actor=officer)
    assert len(applications_using(estate.pem)) == 2
    assert_exact()
    security_section_set(application=estate.node1, provider="PEM", store=estate.other, actor=officer)
    assert_exact()
    security_section_set(application=estate.node1, provider="", store=None, actor=officer)
    assert_exact()


def test_an_application_assigned_and_naming_the_path_counts_once_and_a_path_typed_counts(estate):
    assert StoreAssignment.objects.filter(application=estate.node1, store=estate.pem).exists()
    Option.objects.filter(application=estate.node1, name="trusted-ca").update(value=estate.spare.path)
    assert_exact()  # still assigned to pem, now also naming spare's path
    Option.objects.filter(application=estate.node1, name="trusted-ca").update(value=estate.other.windows_path)
    assert_exact()
    StoreAssignment.objects.filter(application=estate.node1).update(store=estate.other)
    assert_exact()  # assigned to and naming the same store: once
    StoreAssignment.objects.all().delete()
    assert_exact()


def test_a_store_path_changed_and_a_store_deleted(estate):
    TrustedStore.objects.filter(pk=estate.spare.pk).update(path=estate.other.path)  # two stores, one path
    assert_exact()
    TrustedStore.objects.filter(pk=estate.other.pk).update(path="/opt/elsewhere.pem", windows_path="")
    assert_exact()
    TrustedStore.objects.filter(pk=estate.pem.pk).update(name="Renamed CA")  # not a path: nothing moves
    assert_exact()
    store_delete(store=TrustedStore.objects.get(pk=estate.pem.pk), actor=estate.users["security"])
    assert_exact()
    TrustedStore.objects.filter(pk=estate.spare.pk).delete()
    assert_exact()


def test_an_application_cloned_deleted_and_reverted(estate):
    operator, officer = estate.users["operator"], estate.users["security"]
    clone = services.clone_application(source=estate.node1, name="Cobrowse_Node_1b", actor=officer)
    assert_exact()
    services.delete_object(obj=Application.objects.get(pk=clone.pk), actor=operator)
    assert_exact()
    history.baseline()
    security_section_set(application=estate.node2, provider="PEM", store=estate.spare, actor=officer)
    assert_exact()
    app = Application.objects.get(pk=estate.node2.pk)
    revert_application(application=app, to=history.latest_number(app.pk) - 1, actor=officer)
    assert_exact()
    Option.objects.filter(name="trusted-ca").delete()
    assert_exact()


def test_random_sequences_of_changes_keep_the_counts_exact(estate):
    rng = random.Random(11)
    stores = [estate.pem, estate.other, estate.spare]
    values = [s.path for s in stores] + [estate.other.windows_path, "", "/nowhere.pem"]
    for step in range(60):
        app = rng.choice(list(Application.objects.all()))
        action = rng.choice(["name", "unname", "assign", "unassign", "path", "bulk"])
        if action == "name":
            Option.objects.update_or_create(application=app, section="security", name="trusted-ca",
                                            defaults={"value": rng.choice(values)})
        elif action == "unname":
            Option.objects.filter(application=app, name="trusted-ca").delete()
        elif action == "assign":
            StoreAssignment.objects.update_or_create(application=app, defaults={"store": rng.choice(stores)})
        elif action == "unassign":
            StoreAssignment.objects.filter(application=app).delete()
        elif action == "path":
            TrustedStore.objects.filter(pk=rng.choice(stores).pk).update(path=rng.choice(values[:3] + ["/x.pem"]))
        elif action == "bulk":
            Option.objects.filter(name="trusted-ca").update(value=rng.choice(values))
        assert store_users.kept_users() == users_count(), (step, action)
        if rng.random() < 0.3:
            store_users.fold()
    assert_exact()


def test_the_stores_list_sorts_by_what_users_count_gives(client_as, estate):
    estate.security(estate.cluster, store=estate.pem)
    viewer = client_as("viewer")
    counts = users_count()
    for sort in ("used_by", "-used_by"):
        listed = list(viewer.get(STORES + f"?sort={sort}").context["page"].object_list)
        expected = sorted(TrustedStore.objects.all(), key=lambda s: (counts.get(s.pk, 0), s.name),
                          reverse=sort.startswith("-"))
        assert [s.pk for s in listed] == [s.pk for s in expected]
        assert [s.used_by for s in listed] == [counts.get(s.pk, 0) for s in expected]


def test_the_counts_stay_exact_when_the_counts_are_emptied_before_what_they_count(estate):
    """Django's flush on SQLite deletes table by table (the triggers fire): pairs and counts emptied first
    must not come back as -1s that hide the next users."""
    StoreUse.objects.all().delete()
    StoreUserCount.objects.all().delete()
    StoreUserCountChange.objects.all().delete()
    StoreAssignment.objects.all().delete()
    Option.objects.all().delete()
    store_users.fold()
    assert not StoreUse.objects.filter(ways__lt=0).exists()
    StoreUse.objects.all().delete()  # what a flush leaves, whichever table it empties first
    StoreUserCount.objects.all().delete()
    StoreUserCountChange.objects.all().delete()
    estate.security(estate.node2, store=estate.spare)
    assert store_users.kept_users() == users_count() == {estate.spare.pk: 1}


@pytest.mark.django_db(transaction=True)
def test_sections_swapping_stores_never_deadlock_and_keep_exact_counts(world, users):
    """Two applications switching between two stores in opposite phases, each through the security
    section's service in its own transaction (assignment and ``trusted-ca`` together): both write both
    stores' counts. The pairs they lock are their own; the counts take changes only (PostgreSQL)."""
    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    stores = [world.store("First CA"), world.store("Second CA")]
    officer = users["security"]
    failures: list[BaseException] = []

    def switch_over_and_over(app, phase: int) -> None:
        try:
            for i in range(30):
                security_section_set(application=app, provider="PEM", store=stores[(i + phase) % 2], actor=officer)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=switch_over_and_over, args=(app, phase))
               for phase, app in enumerate((world.node1, world.node2))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures
    assert users_count() == {stores[0].pk: 1, stores[1].pk: 1}
    assert_exact()
