"""The TLS policy's facts, gathered for the validation: ports, connections and primary/backup pairs with
their effective TLS from the resolver (``security.effective_tls``, the only place that knows where a
parameter comes from), judged by ``security.checks.policy``.

``validation`` adds these issues to the findings of the applications (their ports, their backup pair) and
of the connections it replaces, so policy findings are stored, counted, listed and exported like every
other finding; the compliance report (``security.compliance``) reads them back.
"""

from __future__ import annotations

from dataclasses import replace

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from applications.models import Application, AppType, Connection, Port
from security.checks import Issue
from security.checks.policy import (
    ClientFacts,
    PairFacts,
    PolicySettings,
    PolicySettingsError,
    PortFacts,
    check_client,
    check_pair,
    check_port,
    is_on,
    parse_policy,
)
from security.checks.verdict import runner_key
from security.effective_tls import PARAMETERS, SecurityWorld, effective_client_tls_pairs, effective_port_tls_many


def policy_settings() -> PolicySettings:
    """``settings.TLS_POLICY`` as the rules use it; ``ImproperlyConfigured`` naming what is wrong."""
    try:
        return parse_policy(dict(getattr(settings, "TLS_POLICY", {}) or {}))
    except PolicySettingsError as exc:
        raise ImproperlyConfigured(str(exc)) from None


def port_mode(port: Port) -> str:
    return getattr(port, "mode", "") or "default"


def application_policy_issues(apps: list[Application], *, world: SecurityWorld | None = None,
                              ) -> dict[int, list[Issue]]:
    """The policy issues of each application: its listening ports, and its pair with its backup server.
    A fixed number of queries however many applications there are; ``world``: the applications and their
    backup servers read already (``security.effective_tls.SecurityWorld``)."""
    config = policy_settings()
    result: dict[int, list[Issue]] = {app.pk: [] for app in apps}
    if not apps:
        return result
    backup_ids = {app.backup_server_id for app in apps if app.backup_server_id}
    owners = {app.pk for app in apps} | backup_ids
    ports = list(Port.objects.filter(application_id__in=owners)
                 .order_by("application_id", "port_id"))
    effective = effective_port_tls_many(ports, world=world)
    ports_of: dict[int, list[Port]] = {}
    for port in ports:
        ports_of.setdefault(port.application_id, []).append(port)
    names = dict(Application.objects.filter(pk__in=backup_ids).values_list("pk", "name")) if backup_ids else {}
    for app in apps:
        for port in ports_of.get(app.pk, []):
            result[app.pk] += check_port(PortFacts(app.name, app.app_type, port.port_id, port.number, port_mode(port),
                                                   effective[port.pk]), config)
        if app.backup_server_id and app.backup_server_id in names:
            result[app.pk] += check_pair(PairFacts(
                app.name, names[app.backup_server_id],
                secure_ports(ports_of.get(app.pk, []), effective),
                secure_ports(ports_of.get(app.backup_server_id, []), effective)), config)
    return result


def secure_ports(ports: list[Port], effective) -> dict[str, tuple]:
    return {p.port_id: (port_mode(p), effective[p.pk]) for p in ports if is_on(effective[p.pk].value("tls"))}


def connection_policy_issues(connections: list[Connection], *, resolved: dict | None = None,
                             world: SecurityWorld | None = None) -> dict[int, list[Issue]]:
    """The policy issues of each connection (client side); ``client`` and ``port__application`` joined.
    ``resolved``: the effective TLS by (connection id, runner id) the caller resolved already (the checks'
    ``client_tls_per_runner``); only what it lacks is resolved here. ``world``: the clients and the servers
    read already.

    A Cluster client's connection runs on each of its Nodes, each with its own section and Host: when the
    Nodes resolve it differently, each distinct way is judged on its own, and an issue not common to all
    of them is the Nodes' that have it (one finding per Node, named in it, as the probes' are)."""
    config = policy_settings()
    if not connections:
        return {}
    clusters = {c.client_id for c in connections if c.client.app_type == AppType.COBROWSE_CLUSTER}
    nodes: dict[int, list[tuple[int, str]]] = {}
    if clusters:
        for pk, name, cluster_id in Application.objects.filter(cluster_id__in=clusters).order_by("name").values_list(
                "pk", "name", "cluster_id"):
            nodes.setdefault(cluster_id, []).append((pk, name))
    # Each connection as each of its runners runs it: a Cluster's Nodes, else the client itself (its own id,
    # as runners_for keys it), in one resolution for what the caller did not resolve already.
    runners = {c.pk: nodes.get(c.client_id) or [(c.client_id, c.client.name)] for c in connections}
    wanted = [(c.pk, pk) for c in connections for pk, _name in runners[c.pk]]
    client_side = {pair: resolved[pair] for pair in wanted if resolved and pair in resolved}
    missing = [pair for pair in wanted if pair not in client_side]
    if missing:
        client_side.update(effective_client_tls_pairs(missing, world=world))
    ports = list({c.port_id: c.port for c in connections}.values())
    server_side = effective_port_tls_many(ports, world=world)
    result = {}
    for c in connections:
        server = c.port.application

        def judged(client_name: str, tls, c=c, server=server) -> list[Issue]:
            return check_client(ClientFacts(
                client_name, server.name, server.app_type, c.port.port_id, c.port.number, port_mode(c.port),
                tls, server_side[c.port_id]), config)

        ways: dict[tuple, list[tuple[int, str]]] = {}  # the runners that resolve to the same values
        for pk, name in runners[c.pk]:
            tls = client_side[(c.pk, pk)]
            ways.setdefault(tuple(tls.value(n) for n in PARAMETERS), []).append((pk, name))
        first = runners[c.pk][0][0]
        general = judged(c.client.name, client_side[(c.pk, first)])
        if len(ways) == 1:
            result[c.pk] = general
            continue
        per_way = [(group, judged(", ".join(name for _pk, name in group), client_side[(c.pk, group[0][0])]))
                   for group in ways.values()]
        # An issue every Node has stays the connection's; one only some have is theirs, a finding each.
        common = set.intersection(*({i.code for i in found} for _group, found in per_way))
        issues = [i for i in general if i.code in common]
        for group, found in per_way:
            issues += [replace(i, detail_key=runner_key(pk)) for i in found if i.code not in common
                       for pk, _name in group]
        result[c.pk] = issues
    return result
