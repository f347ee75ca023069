"""The TLS policy's facts, gathered for the validation: ports, connections and primary/backup pairs with
their effective TLS from the resolver (``security.effective_tls``, the only place that knows where a
parameter comes from), judged by ``security.checks.policy``.

``validation`` adds these issues to the findings of the applications (their ports, their backup pair) and
of the connections it replaces, so policy findings are stored, counted, listed and exported like every
other finding; the compliance report (``security.compliance``) reads them back.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from applications.models import Application, Connection, Port
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
from security.effective_tls import effective_client_tls_many, effective_port_tls_many


def policy_settings() -> PolicySettings:
    """``settings.TLS_POLICY`` as the rules use it; ``ImproperlyConfigured`` naming what is wrong."""
    try:
        return parse_policy(dict(getattr(settings, "TLS_POLICY", {}) or {}))
    except PolicySettingsError as exc:
        raise ImproperlyConfigured(str(exc)) from None


def port_mode(port: Port) -> str:
    return getattr(port, "mode", "") or "default"


def application_policy_issues(apps: list[Application]) -> dict[int, list[Issue]]:
    """The policy issues of each application: its listening ports, and its pair with its backup server.
    A fixed number of queries however many applications there are."""
    config = policy_settings()
    result: dict[int, list[Issue]] = {app.pk: [] for app in apps}
    if not apps:
        return result
    backup_ids = {app.backup_server_id for app in apps if app.backup_server_id}
    owners = {app.pk for app in apps} | backup_ids
    ports = list(Port.objects.filter(application_id__in=owners)
                 .order_by("application_id", "port_id"))
    effective = effective_port_tls_many(ports)
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


def connection_policy_issues(connections: list[Connection]) -> dict[int, list[Issue]]:
    """The policy issues of each connection (client side); ``client`` and ``port__application`` joined."""
    config = policy_settings()
    if not connections:
        return {}
    client_side = effective_client_tls_many(connections)
    ports = list({c.port_id: c.port for c in connections}.values())
    server_side = effective_port_tls_many(ports)
    result = {}
    for c in connections:
        server = c.port.application
        result[c.pk] = check_client(ClientFacts(
            c.client.name, server.name, server.app_type, c.port.port_id, c.port.number, port_mode(c.port),
            client_side[c.pk], server_side[c.port_id]), config)
    return result
