"""The order Genesys reads each TLS parameter in, per parameter and level, both sides: a table, and a
property (any assignment of values to the levels resolves to the highest level that sets it)."""

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applications.models import Application, AppType, Connection, Port
from applications.transport import format_params
from security.effective_tls import (
    PARAMETERS,
    Source,
    effective_client_tls,
    effective_client_tls_many,
    effective_port_tls,
    effective_port_tls_many,
    resolve,
)
from tests.effective_tls.conftest import set_app_option, set_host_option

SHARED = [name for name in PARAMETERS if name not in ("tls", "tls-mutual")]
CLIENT_LEVELS = ("connection", "application", "host", "port")
SERVER_LEVELS = ("port", "application", "host")


def put(world, side, level, name, value):
    """Set ``name`` to ``value`` (None: remove) at ``level`` of the client connection or the server port."""
    if level == "connection":
        params = dict(p.split("=", 1) for p in world.connection.transport_params.split(";") if p)
        params.pop(name, None)
        if value is not None:
            params[name] = value
        Connection.objects.filter(pk=world.connection.pk).update(transport_params=format_params(params.items()))
        world.connection.refresh_from_db()
    elif level == "port":
        params = dict(p.split("=", 1) for p in world.port.transport_params.split(";") if p)
        params.pop(name, None)
        if value is not None:
            params[name] = value
        world.port.transport_params = format_params(params.items())
        world.port.save()
    elif level == "application":
        set_app_option(world.client if side == "client" else world.server, name, value)
    else:
        set_host_option(world.client_host if side == "client" else world.server_host, name, value)


EXPECTED_OBJECT = {
    ("client", "connection"): "Stat_Server → Chat_Server:secure",
    ("client", "application"): "Stat_Server",
    ("client", "host"): "cb-linux-01",
    ("client", "port"): "Chat_Server:secure",
    ("server", "port"): "Chat_Server:secure",
    ("server", "application"): "Chat_Server",
    ("server", "host"): "gen-linux-02",
}

# (side, the levels set with a value each, the level that must win)
CASES = [
    ("client", ("connection", "application", "host", "port"), "connection"),
    ("client", ("application", "host", "port"), "application"),
    ("client", ("host", "port"), "host"),
    ("client", ("port",), "port"),
    ("client", ("connection", "port"), "connection"),
    ("client", ("application", "port"), "application"),
    ("client", ("connection", "host"), "connection"),
    ("server", ("port", "application", "host"), "port"),
    ("server", ("application", "host"), "application"),
    ("server", ("host",), "host"),
    ("server", ("port", "host"), "port"),
]


@pytest.mark.parametrize("name", SHARED)
@pytest.mark.parametrize(("side", "levels", "winner"), CASES)
def test_each_parameter_comes_from_the_highest_level_that_sets_it(tls_world, name, side, levels, winner):
    for level in levels:
        put(tls_world, side, level, name, f"{level}-value")
    result = effective_client_tls(tls_world.connection) if side == "client" else effective_port_tls(tls_world.port)
    parameter = result.parameters[name]
    assert parameter.value == f"{winner}-value"
    assert (parameter.source.level, parameter.source.object_name) == (winner, EXPECTED_OBJECT[(side, winner)])
    order = CLIENT_LEVELS if side == "client" else SERVER_LEVELS
    lower = [level for level in order if level in levels and level != winner]
    assert [(s.level, v) for s, v in parameter.overridden] == [(level, f"{level}-value") for level in lower]
    # The other parameters are untouched by it.
    assert all(result.value(other) is None for other in SHARED if other != name)


@pytest.mark.parametrize("side", ["client", "server"])
@pytest.mark.parametrize("name", ["tls", "tls-mutual"])
def test_tls_and_mutual_tls_come_from_the_port_only(tls_world, side, name):
    for level in ("connection", "application", "host"):
        put(tls_world, side, level, name, "1")
    put(tls_world, side, "port", name, None)
    put(tls_world, side, "port", "tls", None)
    result = effective_client_tls(tls_world.connection) if side == "client" else effective_port_tls(tls_world.port)
    assert result.value(name) is None and result.parameters[name].source is None
    put(tls_world, side, "port", name, "1")
    result = effective_client_tls(tls_world.connection) if side == "client" else effective_port_tls(tls_world.port)
    assert result.value(name) == "1" and result.parameters[name].source.level == "port"
    assert result.parameters[name].overridden == ()


def test_a_client_is_secure_only_when_its_port_says_tls_1(tls_world):
    assert effective_client_tls(tls_world.connection).secure
    plain = Connection.objects.create(client=tls_world.server, port=tls_world.plain, transport_params="tls=1")
    assert not effective_client_tls(plain).secure


def test_an_empty_value_is_not_set(tls_world):
    put(tls_world, "client", "connection", "trusted-ca", "")
    put(tls_world, "client", "host", "trusted-ca", "/opt/ca.pem")
    parameter = effective_client_tls(tls_world.connection).parameters["trusted-ca"]
    assert (parameter.value, parameter.source.level) == ("/opt/ca.pem", "host")


def test_edit_links_lead_to_the_pages_where_each_level_is_edited(tls_world, client_as):
    for level in CLIENT_LEVELS:
        put(tls_world, "client", level, "cipher-list", f"{level}-value")
    parameter = effective_client_tls(tls_world.connection).parameters["cipher-list"]
    sources = [parameter.source, *(s for s, _ in parameter.overridden)]
    assert [s.level for s in sources] == list(CLIENT_LEVELS)
    browser = client_as("security")
    for source in sources:
        assert browser.get(source.edit_url).status_code == 200, source


# Co-browse: the Application level is the security section placed by R1.


def cobrowse_world(world, *, scs: bool):
    cluster = Application.objects.create(name="CB_Cluster", app_type=AppType.COBROWSE_CLUSTER, version="8.5.003.04",
                                         scs_controlled=scs)
    node = Application.objects.create(name="CB_Node_1", app_type=AppType.COBROWSE_NODE, version="8.5.003.04",
                                      cluster=cluster, host=world.client_host)
    connection = Connection.objects.create(client=cluster, port=world.port)
    return cluster, node, connection


def test_a_cluster_client_reads_its_own_section_when_r1_lets_it_hold_one(tls_world):
    cluster, node, connection = cobrowse_world(tls_world, scs=False)
    set_app_option(cluster, "trusted-ca", "/opt/cluster-ca.pem")
    set_app_option(cluster, "provider", "PEM")
    parameter = effective_client_tls(connection).parameters["trusted-ca"]
    assert (parameter.value, parameter.source.object_name) == ("/opt/cluster-ca.pem", "CB_Cluster")
    assert parameter.source.edit_url == f"/security/applications/{cluster.pk}/security/"
    # The Node's own section comes first.
    set_app_option(node, "provider", "PEM")
    set_app_option(node, "trusted-ca", "/opt/node-ca.pem")
    parameter = effective_client_tls(connection).parameters["trusted-ca"]
    assert (parameter.value, parameter.source.object_name) == ("/opt/node-ca.pem", "CB_Node_1")


def test_under_scs_the_clusters_section_is_ignored_and_the_nodes_is_read(tls_world):
    cluster, node, connection = cobrowse_world(tls_world, scs=True)
    set_app_option(cluster, "provider", "PEM")
    set_app_option(cluster, "trusted-ca", "/opt/cluster-ca.pem")
    set_host_option(tls_world.client_host, "trusted-ca", "/opt/host-ca.pem")
    parameter = effective_client_tls(connection).parameters["trusted-ca"]
    assert (parameter.value, parameter.source.level, parameter.source.object_name) == (
        "/opt/host-ca.pem", "host", "cb-linux-01")
    set_app_option(node, "provider", "PEM")
    set_app_option(node, "trusted-ca", "/opt/node-ca.pem")
    parameter = effective_client_tls(connection).parameters["trusted-ca"]
    assert (parameter.value, parameter.source.object_name) == ("/opt/node-ca.pem", "CB_Node_1")
    assert [s.level for s, _ in parameter.overridden] == ["host"]


# The pure function.

VALUES = st.one_of(st.none(), st.text(alphabet="abc/.-1", min_size=0, max_size=6))


def level_sources(levels):
    return [Source(level, level.upper(), f"/{level}/") for level in levels]


@given(st.lists(st.dictionaries(st.sampled_from(PARAMETERS), st.text(alphabet="abc/.-1", max_size=6)),
                min_size=4, max_size=4))
def test_resolve_property_highest_set_level_wins(assignments):
    sources = level_sources(CLIENT_LEVELS)
    result = resolve(list(zip(sources, assignments, strict=True)))
    assert set(result) == set(PARAMETERS)
    for name in PARAMETERS:
        setters = [(s, a[name]) for s, a in zip(sources, assignments, strict=True)
                   if a.get(name) and (name not in ("tls", "tls-mutual") or s.level == "port")]
        expected = setters[0] if setters else (None, None)
        assert (result[name].source, result[name].value) == expected
        assert result[name].overridden == tuple(setters[1:])


# The same property through the database: any values at the four levels of a real connection.


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(SHARED + ["tls"]), st.tuples(VALUES, VALUES, VALUES, VALUES))
def test_any_assignment_to_the_four_levels_resolves_to_the_highest_set_level(tls_world, name, values):
    for level, value in zip(CLIENT_LEVELS, values, strict=True):
        put(tls_world, "client", level, name, value)
    if name != "tls":
        put(tls_world, "client", "port", "tls", "1")
    client = effective_client_tls(tls_world.connection).parameters[name]
    set_levels = [(level, value) for level, value in zip(CLIENT_LEVELS, values, strict=True)
                  if value and (name != "tls" or level == "port")]
    assert (client.source.level if client.source else None, client.value) == (
        set_levels[0] if set_levels else (None, None))
    assert [(s.level, v) for s, v in client.overridden] == set_levels[1:]
    server = effective_port_tls(tls_world.port).parameters[name]
    server_levels = [(level, value) for level, value in zip(CLIENT_LEVELS, values, strict=True)
                     if level in ("port",) and value]
    if name != "tls":
        server_levels = [(lv, v) for lv, v in set_levels if lv == "port"]
    assert (server.source.level if server.source else None, server.value) == (
        server_levels[0] if server_levels else (None, None))


def test_the_many_functions_cost_the_same_queries_for_one_or_many(tls_world):
    servers = []
    for i in range(12):
        server = Application.objects.create(name=f"S{i}", app_type=AppType.COBROWSE_CLUSTER, version="8.5.003.04")
        Application.objects.create(name=f"N{i}", app_type=AppType.COBROWSE_NODE, version="8.5.003.04",
                                   cluster=server, host=tls_world.client_host)
        port = Port.objects.create(application=tls_world.server, port_id=f"p{i}", number=5000 + i,
                                   transport_params="tls=1")
        Connection.objects.create(client=server, port=port, transport_params="cipher-list=x")
        servers.append(port)

    def queries(call) -> int:
        with CaptureQueriesContext(db_connection) as captured:
            call()
        return len(captured)

    one = Connection.objects.filter(client__app_type=AppType.COBROWSE_CLUSTER)[:1]
    many = Connection.objects.all()
    assert queries(lambda: effective_client_tls_many(list(one))) == queries(
        lambda: effective_client_tls_many(list(many))) <= 6
    assert queries(lambda: effective_port_tls_many(servers[:1])) == queries(lambda: effective_port_tls_many(servers))
    assert len(effective_client_tls_many(list(many))) == 13
