"""Live TLS probes: does the application's own trusted store accept what the server presents?

``probe_tls`` is plain Python over a socket: it handshakes with a context that trusts exactly the
store's certificates and checks the host name, as the Co-browse server will after its restart;
when that fails it connects once more without verification to record the chain it was shown.
``probe_connection`` is the service: it takes a connection configured in the console (never a
host or port typed by a user), records the result and refreshes the connection's findings.
"""

import logging
import socket
import ssl
import time
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings

from applications.models import Application, Connection, Port
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


def probe_target(connection: Connection) -> Port | None:
    """The port to probe: the connection's own if secured, else the server's secure port (what the
    connection should use), so an operator can probe before switching it."""
    if connection.port.secured:
        return connection.port
    ports = Port.objects.filter(application_id=connection.port.application_id, secured=True)
    return min(ports, key=lambda p: (p.port_id != "secure", p.port_id), default=None)


def store_of_client(client: Application) -> TrustedStore | None:
    from security.deployment import runs_with, saved_sections, stores_for

    nodes = list(client.nodes.all()) if client.app_type == "cobrowse_cluster" else []
    ids = {client.pk, *(n.pk for n in nodes)} | ({client.cluster_id} if client.cluster_id else set())
    sections = saved_sections(ids)
    section = runs_with(client, sections, nodes)
    return stores_for({section.app_id: section}).get(section.app_id)


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


def probe_connection(*, connection_id: int) -> ProbeResult | None:
    """Probe one connection configured in the console and refresh its findings."""
    from security import validation

    connection = (Connection.objects.select_related("client__cluster", "client__host", "port__application__host")
                  .filter(pk=connection_id).first())
    if connection is None:
        return None
    server = connection.port.application
    port = probe_target(connection)
    store = store_of_client(connection.client)
    if port is None or server.host is None:
        why = f"{server.name} has no secure port" if port is None else f"{server.name} has no host"
        result = ProbeResult.objects.create(connection=connection, host=server.host.address if server.host else "",
                                            port_number=(port or connection.port).number, outcome=ProbeOutcome.ERROR,
                                            detail=f"Nothing to probe: {why}.", store=store)
    else:
        host = server.host.address
        report = probe_tls(host, port.number, cadata=store_cadata(store), server_hostname=host,
                           timeout=settings.TLS_PROBE_TIMEOUT_SECONDS)
        result = ProbeResult.objects.create(
            connection=connection, host=host, port_number=port.number, outcome=report.outcome,
            detail=report.detail, store=store, chain_pem=report.chain_pem, duration_ms=report.duration_ms,
        )
    logger.info("Probe of %s: %s", connection, result.outcome)
    validation.validate_connection(connection_id=connection.pk)
    return result


def enqueue_probe(connection_id: int) -> bool:
    """Queue a probe (run at once when no broker is configured). False when the queue is unreachable."""
    from security.tasks import probe_connection as probe_task

    try:
        probe_task.delay(connection_id)
    except Exception as exc:  # noqa: BLE001 - any broker error: tell the operator, who can retry
        logger.warning("Could not enqueue the probe of connection %s (%s).", connection_id, exc)
        return False
    return True
