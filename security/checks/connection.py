"""Checks of one connection: its port (R2, R3) and what the last live probe of it saw."""

import datetime as dt
from dataclasses import dataclass

from applications.models import COBROWSE_TYPES, AppType
from applications.text import quoted
from security.rules import connections_placement

from .codes import Issue


@dataclass(frozen=True)
class ProbeFacts:
    outcome: str
    at: dt.datetime
    detail: str
    store_name: str


@dataclass(frozen=True)
class ConnectionFacts:
    client_name: str
    client_type: str
    client_version: str
    server_name: str
    server_type: str
    port_id: str
    port_number: int
    secured: bool
    server_secure_ports: tuple[tuple[str, int], ...] = ()
    probe: ProbeFacts | None = None


PROBE_CODES = {
    "untrusted": ("connection.probe_untrusted",
                  "Add the CA that signed the server's certificate to the application's trusted store, or have the "
                  "server use a certificate from the CA in the store."),
    "expired": ("connection.probe_expired", "Renew the server's certificate (or check the clocks)."),
    "hostname_mismatch": ("connection.probe_hostname_mismatch",
                          "The server's certificate must name the host address the console has for it (as a DNS "
                          "name or IP address in subjectAltName): reissue it, or correct the host's address."),
    "refused": ("connection.probe_unreachable",
                "Check that the server runs and listens on this port, and that no firewall is in the way."),
    "timeout": ("connection.probe_unreachable",
                "The port accepted no TLS handshake in time: check that it is the server's TLS port and that no "
                "firewall drops the traffic."),
    "error": ("connection.probe_unreachable", "Check that the port speaks TLS."),
}


def check_connection(facts: ConnectionFacts) -> list[Issue]:
    issues: list[Issue] = []
    label = f"{facts.client_name} → {facts.server_name}:{facts.port_id} ({facts.port_number})"
    cobrowse_client = facts.client_type in COBROWSE_TYPES
    if cobrowse_client and facts.server_type == AppType.CONFIG_SERVER:
        issues.append(Issue(
            "connection.config_server",
            f"{label}: Co-browse does not reach Configuration Server through the Connections tab.",
            "Remove this connection and configure the Configuration Server connection and its TLS in setenv.sh "
            "(Linux) or setenv.bat (Windows) in the server directory (R3): the console generates them.",
        ))
    elif not facts.secured and facts.server_secure_ports:
        port_id, number = facts.server_secure_ports[0]
        issues.append(Issue(
            "connection.insecure_port",
            f"{label} goes through a non-secure port although {facts.server_name} has a secure one "
            f"({port_id}, {number}).",
            f"Connect through the port ID {quoted(port_id)} instead.",
        ))
    if facts.secured and cobrowse_client:
        placement = connections_placement(facts.client_type, facts.client_version)
        if not placement.allowed:
            issues.append(Issue(
                "connection.misplaced",
                f"{label} is a TLS connection on the wrong object: {placement.reason}",
                "Move the connection to the "
                + ("Co-browse Cluster." if placement.instead == "cluster" else "right Co-browse application."),
            ))
    if facts.probe is not None and facts.probe.outcome in PROBE_CODES:
        code, hint = PROBE_CODES[facts.probe.outcome]
        store = f" with the store {quoted(facts.probe.store_name)}" if facts.probe.store_name else ""
        issues.append(Issue(
            code,
            f"Live probe of {facts.server_name}:{facts.port_id} on {facts.probe.at:%Y-%m-%d %H:%M}{store}: "
            f"{facts.probe.detail}",
            hint,
        ))
    return issues
