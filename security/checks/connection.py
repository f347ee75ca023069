"""Checks of one connection's port (R2, R3). The whole verdict on the connection, with what each
application that runs it would do and what live probes saw, is ``verdict.connection_verdict``."""

from dataclasses import dataclass

from applications.models import COBROWSE_TYPES, AppType
from applications.text import quoted
from security.rules import connections_placement

from .codes import Issue
from .verdict import PROBE_CODES, ProbeFacts, RunnerFacts  # noqa: F401 - ProbeFacts, PROBE_CODES: their old home


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
    # The applications that run it (the client, or each Node of a Cluster client): ``verdict``.
    runners: tuple[RunnerFacts, ...] = ()


def check_connection(facts: ConnectionFacts) -> list[Issue]:
    issues: list[Issue] = []
    label = f"{facts.client_name} → {facts.server_name}:{facts.port_id} ({facts.port_number})"
    cobrowse_client = facts.client_type in COBROWSE_TYPES
    if cobrowse_client and facts.server_type == AppType.CONFIG_SERVER:
        issues.append(Issue(
            "connection.config_server",
            f"{label}: Co-browse does not reach Configuration Server through the Connections tab.",
            "Remove this connection and configure the Configuration Server connection and its TLS in setenv.sh "
            "(Linux) or setenv.bat (Windows) in the server directory: the console generates them.",
        ))
    elif not facts.secured and facts.server_secure_ports:
        port_id, number = facts.server_secure_ports[0]
        issues.append(Issue(
            "connection.insecure_port",
            f"{label} goes through a port that is not secure although {facts.server_name} has a secure one "
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
    return issues
