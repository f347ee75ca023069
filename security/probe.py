"""Live TLS probes: does the application's own trusted store accept what the server presents?

``probe_tls`` is plain Python over a socket: it handshakes with a context that trusts exactly the
store's certificates and checks the host name, as the Co-browse server will after its restart;
when that fails it connects once more without verification to record the chain it was shown.
``probe_connection`` is the service: it takes a connection configured in the console (never a
host or port typed by a user), probes its own port only when that port speaks TLS, records what it
reached and the trust configuration it used, and refreshes the connection's findings. A result
whose endpoint or trust configuration has changed since is stale and decides nothing
(``security.checks.verdict.probe_staleness``).
"""

import logging
import socket
import ssl
import time
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings

from applications.models import Connection, Port
from applications.text import quoted
from security.models import ProbeOutcome, ProbeResult, TrustedStore

logger = logging.getLogger(__name__)

# OpenSSL verification codes (X509_V_ERR_*) the outcomes are told apart by.
EXPIRED_CODES = {9: "is not valid yet", 10: "has expired"}
HOSTNAME_CODES = {62, 64}


@dataclass(frozen=True)
class ProbeReport:
    outcome: str
    detail: str
    chain_der: tuple[bytes, ...] = ()
    duration_ms: int = 0

    @property
    def chain_pem(self) -> str:
        certs = (x509.load_der_x509_certificate(der) for der in self.chain_der)
        return "".join(cert.public_bytes(Encoding.PEM).decode("ascii") for cert in certs)


def describe(chain_der: tuple[bytes, ...]) -> str:
    if not chain_der:
        return ""
    try:
        leaf = x509.load_der_x509_certificate(chain_der[0])
    except ValueError:
        return ""
    return (f" The server presented {leaf.subject.rfc4514_string()}, issued by {leaf.issuer.rfc4514_string()}, "
            f"valid {leaf.not_valid_before_utc:%Y-%m-%d} to {leaf.not_valid_after_utc:%Y-%m-%d}.")


def presented_chain(tls: ssl.SSLSocket) -> tuple[bytes, ...]:
    # Python 3.13 has SSLSocket.get_unverified_chain(); before, the same method sits on _sslobj.
    getter = getattr(tls, "get_unverified_chain", None) or getattr(tls._sslobj, "get_unverified_chain", None)
    if getter is not None:
        chain = getter() or []
        return tuple(c if isinstance(c, bytes) else c.public_bytes(ssl._ssl.ENCODING_DER) for c in chain)
    leaf = tls.getpeercert(binary_form=True)
    return (leaf,) if leaf else ()


def handshake(host: str, port: int, context: ssl.SSLContext, server_hostname: str, timeout: float):
    with socket.create_connection((host, port), timeout=max(timeout, 0.05)) as raw:
        with context.wrap_socket(raw, server_hostname=server_hostname) as tls:
            return presented_chain(tls)


def fetch_chain(host: str, port: int, server_hostname: str, deadline: float) -> tuple[bytes, ...]:
    """The chain the server presents, unverified: only to show it. Empty if that fails too."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        return handshake(host, port, context, server_hostname, deadline - time.monotonic())
    except (OSError, ssl.SSLError):
        return ()


def probe_tls(host: str, port: int, *, cadata: str | None, server_hostname: str, timeout: float) -> ProbeReport:
    """Handshake with ``host:port`` trusting only ``cadata`` (PEM), within ``timeout`` seconds in all."""
    started = time.monotonic()
    deadline = started + timeout
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED and check_hostname
    if cadata:
        context.load_verify_locations(cadata=cadata)

    def report(outcome: str, detail: str, chain: tuple[bytes, ...] = ()) -> ProbeReport:
        return ProbeReport(outcome, detail + describe(chain), chain, int((time.monotonic() - started) * 1000))

    try:
        chain = handshake(host, port, context, server_hostname, timeout)
    except ssl.SSLCertVerificationError as exc:
        chain = fetch_chain(host, port, server_hostname, deadline)
        code = exc.verify_code
        reason = exc.verify_message or str(exc)
        if code in EXPIRED_CODES:
            return report(ProbeOutcome.EXPIRED, f"the server's certificate {EXPIRED_CODES[code]} ({reason}).", chain)
        if code in HOSTNAME_CODES:
            return report(ProbeOutcome.HOSTNAME, f"the server's certificate does not match {quoted(server_hostname)} "
                                                 f"({reason}).", chain)
        store = "the application's trusted store" if cadata else "an empty trust store (no trusted store)"
        return report(ProbeOutcome.UNTRUSTED, f"{store} does not trust the server's certificate ({reason}).", chain)
    except ConnectionRefusedError:
        return report(ProbeOutcome.REFUSED, f"{host}:{port} refused the connection.")
    except TimeoutError:
        return report(ProbeOutcome.TIMEOUT, f"no TLS answer from {host}:{port} within {timeout:g} s.")
    except ssl.SSLError as exc:
        return report(ProbeOutcome.ERROR, f"the TLS handshake failed: {exc.reason or exc}.")
    except OSError as exc:
        return report(ProbeOutcome.ERROR, f"cannot connect to {host}:{port}: {exc.strerror or exc}.")
    return report(ProbeOutcome.OK, "the application's trusted store verifies the server's certificate and host name.",
                  chain)


class NothingToProbe(Exception):
    """The connection cannot be probed; the message says why, in an operator's words."""


def probe_refusal(connection: Connection) -> str:
    """Why this connection cannot be probed, or "" when it can. A probe tests the TLS handshake on
    the connection's own port: a port that does not speak TLS is never probed under its name."""
    from security.effective_tls import effective_client_tls

    port, server = connection.port, connection.port.application
    if not effective_client_tls(connection).secure:
        secure = Port.objects.filter(application_id=server.pk, secured=True).order_by("port_id").first()
        instead = (f" Connect through {secure.port_id} ({secure.number}) and probe that connection."
                   if secure else f" {server.name} has no secure port.")
        return (f"{server.name}:{port.port_id} ({port.number}) does not speak TLS, so there is no TLS handshake "
                f"to probe.{instead}")
    if server.host is None or not server.host.address:
        return f"{server.name} has no host address: there is nowhere to probe."
    return ""


def probeable_connections():
    """The connections a probe may test: a probe tests the connection's own port, so only those
    through a secure port (``probe_refusal`` tells why one of them still cannot be)."""
    return Connection.objects.filter(port__secured=True).order_by("pk")


def probe_target(connection: Connection) -> Port | None:
    """The port a probe of this connection reaches: its own, when it speaks TLS; otherwise none."""
    return None if probe_refusal(connection) else connection.port


def store_cadata(store: TrustedStore | None) -> str | None:
    from security.crypto import CertificateError, build_pem
    from security.stores import member_ders

    if store is None:
        return None
    ders = member_ders(store)
    if not ders:
        return None
    try:
        return build_pem(ders).decode("ascii")
    except CertificateError:
        return None


def probe_connection(*, connection_id: int) -> list[ProbeResult]:
    """Probe one connection configured in the console and refresh its findings.

    One handshake per distinct trust configuration among the applications that run the connection
    (the client, or the Nodes of a Cluster client, which may differ), each recorded with what it
    reached (host, port ID and number) and what it used (provider, store, digest of its contents).
    Raises ``NothingToProbe`` for a connection whose port does not speak TLS or whose server has no host."""
    from security import validation
    from security.deployment import runners_for

    connection = (Connection.objects.select_related("client__cluster", "client__host", "port__application__host")
                  .filter(pk=connection_id).first())
    if connection is None:
        return []
    refusal = probe_refusal(connection)
    if refusal:
        raise NothingToProbe(refusal)
    server, port = connection.port.application, connection.port
    host = server.host.address
    # The name the certificate must carry: the effective tls-target-name when one is set (Genesys checks it
    # instead of the host name), else the host's address, as the client connects to it.
    from security.effective_tls import effective_client_tls

    target_name = effective_client_tls(connection).value("tls-target-name") or host
    configs: dict = {}
    for runner in runners_for([connection.client], for_checks=True)[connection.client_id]:
        configs.setdefault(runner.trust, []).append(runner)
    results = []
    for trust, runners in configs.items():
        store = runners[0].store
        report = probe_tls(host, port.number, cadata=store_cadata(store) if trust.provider else None,
                           server_hostname=target_name, timeout=settings.TLS_PROBE_TIMEOUT_SECONDS)
        results.append(ProbeResult.objects.create(
            connection=connection, host=host, port_id=port.port_id, port_number=port.number, outcome=report.outcome,
            detail=report.detail, provider=trust.provider, store=store, store_name=trust.store_name,
            store_digest=trust.store_digest, used_by=", ".join(r.app.name for r in runners),
            chain_pem=report.chain_pem, duration_ms=report.duration_ms,
        ))
        logger.info("Probe of %s with %s: %s", connection, trust.describe(), report.outcome)
    validation.validate_connection(connection_id=connection.pk)
    return results


def enqueue_probe(connection_id: int) -> bool:
    """Queue a probe (run at once when no broker is configured). False when the queue is unreachable."""
    from security.tasks import probe_connection as probe_task

    try:
        probe_task.delay(connection_id)
    except Exception as exc:  # noqa: BLE001 - any broker error: tell the operator, who can retry
        logger.warning("Could not enqueue the probe of connection %s (%s).", connection_id, exc)
        return False
    return True
