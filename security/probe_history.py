"""A connection's probe history: its recent results, each with what it reached, the chain it was
shown, the trust configuration it used and whether it still holds (``verdicts.probe_view``: the same
staleness every page shows)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings

from applications.models import Connection
from security.deployment import runners_for
from security.effective_tls import effective_client_tls_pairs
from security.models import ProbeResult
from security.probe import checks_host_name, target_name
from security.verdicts import ProbeView, endpoint_of, probe_view


@dataclass(frozen=True)
class ShownCertificate:
    subject: str
    issuer: str
    not_before: str
    not_after: str
    sha256: str


def shown_chain(pem: str) -> list[ShownCertificate]:
    try:
        certs = x509.load_pem_x509_certificates(pem.encode()) if pem.strip() else []
    except ValueError:
        return []
    return [ShownCertificate(c.subject.rfc4514_string(), c.issuer.rfc4514_string(),
                             f"{c.not_valid_before_utc:%Y-%m-%d}", f"{c.not_valid_after_utc:%Y-%m-%d}",
                             hashlib.sha256(c.public_bytes(Encoding.DER)).hexdigest())
            for c in certs]


@dataclass
class HistoryRow:
    view: ProbeView
    chain: list[ShownCertificate]

    @property
    def result(self) -> ProbeResult:
        return self.view.probe


@dataclass
class ConnectionHistory:
    connection: Connection
    reached_now: str
    checks_host_now: bool
    # (configuration, the applications that run with it, their host-name check) as each runs it
    trust_now: list[tuple[str, str, str]]
    rows: list[HistoryRow] = field(default_factory=list)
    keep: int = 0


def connection_history(connection: Connection) -> ConnectionHistory:
    runners = runners_for([connection.client])[connection.client_id]
    # Each runner's effective TLS, once: each result is judged as the runner it was made for runs it.
    effective = {runner: tls for (_pk, runner), tls in effective_client_tls_pairs(
        [(connection.pk, r.app.pk) for r in runners]).items()}
    endpoint = endpoint_of(connection)
    # Grouped as the probe groups them: trust configuration, then the name each checks and whether.
    groups: dict[tuple[str, str], list[str]] = {}
    for runner in runners:
        tls = effective.get(runner.app.pk)
        check = (f"yes, against {target_name(connection, tls)} (tls-target-name-check=host)"
                 if tls is not None and checks_host_name(connection, tls) else "no")
        groups.setdefault((runner.trust.describe(), check), []).append(runner.app.name)
    history = ConnectionHistory(
        connection=connection,
        reached_now=f"{endpoint.host or '?'}:{endpoint.port_id} ({endpoint.port_number})",
        checks_host_now=endpoint.check_host,
        trust_now=[(config, ", ".join(names), check) for (config, check), names in groups.items()],
        keep=settings.PROBE_HISTORY,
    )
    for result in ProbeResult.objects.filter(connection=connection).order_by("-at", "-id")[:settings.PROBE_HISTORY]:
        result.connection = connection
        view = probe_view(result, connection, runners, effective)
        history.rows.append(HistoryRow(view, shown_chain(result.chain_pem)))
    return history
