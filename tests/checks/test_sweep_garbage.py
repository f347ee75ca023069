"""What checking a chunk of applications builds is freed by reference counting: no model instance is left in a
reference cycle, so the sweep can keep the garbage collector off while it checks a chunk
(``security.sweeps.collector_paused``)."""

import gc

import pytest
from django.db import models

from security import sweeps, validation


def models_left_in_cycles(action) -> list[str]:
    """The model instances that ``action`` left for the collector: unreachable, yet not freed."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        action()
        gc.collect()
        # type(): an isinstance() check would set up a lazy object.
        return sorted({type(o).__name__ for o in gc.garbage if issubclass(type(o), models.Model)})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def estate(world):
    store = world.store("Genesys CA")
    world.security(world.node1, store=store)  # Node 2 inherits nothing: the Cluster has no section
    world.security(world.message, provider="PEM")
    world.connect(world.cluster, world.message_secure)
    world.connect(world.cluster, world.message_default)
    world.connect(world.node1, world.config_secure)
    world.connect(world.message, world.config_secure)
    return [world.message.pk, world.config.pk, world.cluster.pk, world.node1.pk, world.node2.pk]


def test_checking_a_chunk_leaves_no_model_instance_in_a_reference_cycle(world):
    ids = estate(world)
    sweep = sweeps.sweep_create(trigger="ui", actor="tests")

    def check():
        validation.validate_applications(application_ids=ids, cache=validation.ValidationCache(), sweep=sweep)

    check()  # the first check writes every finding and check; the second compares with them
    assert models_left_in_cycles(check) == []
    assert models_left_in_cycles(lambda: validation.refresh_all_readiness()) == []


def test_the_cycle_check_finds_a_model_instance_in_a_cycle(world):
    """The check above can fail: a connection and a check that refer to each other are found."""
    from security.models import ConnectionCheck

    connection = world.connect(world.cluster, world.message_secure)

    def cycle():
        loaded = type(connection).objects.get(pk=connection.pk)
        ConnectionCheck(connection=loaded, worst=3)  # sets loaded.tls_check: each refers to the other

    assert models_left_in_cycles(cycle) == ["Connection", "ConnectionCheck"]


def test_the_collector_is_paused_inside_and_back_on_after_even_on_an_error():
    assert gc.isenabled()
    with pytest.raises(ValueError):
        with sweeps.collector_paused():
            assert not gc.isenabled()
            raise ValueError
    assert gc.isenabled()


def test_the_collector_stays_off_after_when_it_was_off_before():
    gc.disable()
    try:
        with sweeps.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_page_of_the_review_builds_its_rows_without_a_model_instance_in_a_cycle(world):
    """The review's rows (and the readiness panel's, the map's: ``with_verdict_data``) hold the connections with
    their clients, servers and hosts; a connection in a cycle kept all of it for the collector's full pass,
    in every request. Whether a connection was validated is an annotation, not its check joined both ways."""
    from applications.models import Connection
    from security.review import add_links, review_rows, rows_html, with_row_data
    from security.verdicts import is_checked

    estate(world)
    world.validate(world.cluster)
    world.validate(world.message)
    unchecked = world.connect(world.message, world.message_default)  # saved after the validation

    def page():
        rows = rows_html(add_links(review_rows(list(with_row_data(Connection.objects.all())))),
                         can_secure=True, csrf_token="t", this_page="/security/review/")
        assert len(rows) == 5 and all(row.html for row in rows)
        assert {row.connection.pk: is_checked(row.connection) for row in rows} == {
            c.pk: c.pk != unchecked.pk for c in Connection.objects.all()}

    assert models_left_in_cycles(page) == []


def test_a_request_of_the_review_leaves_none_of_its_rows_objects_for_the_collector(world, client_as):
    """The review's template gets the rows' HTML: a template's context is a reference cycle, and the rows in
    it kept every connection, application, port, host and store of the page for the collector's next pass."""
    from django.urls import reverse

    estate(world)
    world.validate(world.cluster)
    world.validate(world.message)
    viewer = client_as("viewer")
    url = reverse("security:review")
    viewer.get(url)

    def request():
        response = viewer.get(url)
        assert response.status_code == 200 and response.content.count(b"<tr data-connection=") == 4
        del response  # the test client keeps the template context on the response

    left = models_left_in_cycles(request)
    assert not {"Connection", "Port", "Host", "Application", "TrustedStore"} & set(left), left
