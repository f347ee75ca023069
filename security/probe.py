"""Live TLS probes: does the application's own trusted store accept what the server presents?

One handshake per distinct endpoint (host, port, server name), however many clients use it: the
console connects without verifying, records the chain the server presents, and then judges that
chain offline for each client against the store that client runs with (``security.trust.will_trust``,
the one judge, which agrees with Java). Endpoints are handshaken concurrently, at most
``PROBE_CONCURRENCY`` at once, each within ``TLS_PROBE_TIMEOUT_SECONDS``: a stuck endpoint costs one
timeout, once, for every connection and client behind it.

``probe_connections`` is the service: it takes connections configured in the console (never a host
or port typed by a user), probes only those whose own port speaks TLS, records what each result
reached and the trust configuration it used, keeps the last ``PROBE_HISTORY`` results of each
connection, and refreshes their findings. A result whose endpoint or trust configuration has changed
since is stale and decides nothing (``security.checks.verdict.probe_staleness``).
"""

from __future__ import annotations

import logging
import socket
import ssl
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings
from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber

from applications.models import Connection, Port
from applications.text import quoted
from security.models import ProbeOutcome, ProbeResult, TrustedStore
from security.trust import will_trust

logger = logging.getLogger(__name__)

REACHED = "reached"  # a handshake's outcome when the server presented its chain


@dataclass(frozen=True)
class ProbeReport:
    outcome: str
    detail: str
    chain_der: tuple[bytes, ...] = ()
    duration_ms: int = 0

    @property
    def chain_pem(self) -> str:
        return chain_pem(self.chain_der)


def chain_pem(chain_der: Iterable[bytes]) -> str:
    certs = (x509.load_der_x509_certificate(der) for der in chain_der)
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
    sslobj = getattr(tls, "_sslobj", None)
    getter = getattr(tls, "get_unverified_chain", None) or getattr(sslobj, "get_unverified_chain", None)
    if getter is not None:
        chain = getter() or []
        return tuple(c if isinstance(c, bytes) else c.public_bytes(ssl._ssl.ENCODING_DER) for c in chain)
    leaf = tls.getpeercert(binary_form=True)
    return (leaf,) if leaf else ()


# -- one handshake per endpoint ----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a handshake reaches: one per distinct endpoint, whatever number of clients use it."""

    host: str
    port: int
    server_name: str


@dataclass(frozen=True)
class Presented:
    """What one handshake got: the chain (``outcome`` REACHED), or why there is none."""

    outcome: str
    detail: str = ""
    chain_der: tuple[bytes, ...] = ()
    duration_ms: int = 0
    asked_client_certificate: bool = False


def unverified_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the chain is judged offline, for each client's store
    return context


def handshake(target: Target, timeout: float, context: ssl.SSLContext | None = None) -> Presented:
    """Connect to ``target`` and record the chain it presents, within ``timeout`` seconds in all."""
    started = time.monotonic()
    deadline = started + timeout
    context = context or unverified_context()
    host, port = target.host, target.port

    def done(outcome: str, detail: str = "", chain: tuple[bytes, ...] = (), asked: bool = False) -> Presented:
        return Presented(outcome, detail, chain, int((time.monotonic() - started) * 1000), asked)

    try:
        raw = socket.create_connection((host, port), timeout=max(timeout, 0.05))
    except ConnectionRefusedError:
        return done(ProbeOutcome.REFUSED, f"{host}:{port} refused the connection.")
    except TimeoutError:
        return done(ProbeOutcome.TIMEOUT, f"no TLS answer from {host}:{port} within {timeout:g} s.")
    except OSError as exc:
        return done(ProbeOutcome.ERROR, f"cannot connect to {host}:{port}: {exc.strerror or exc}.")
    with raw:
        raw.settimeout(max(deadline - time.monotonic(), 0.05))
        try:
            tls = context.wrap_socket(raw, server_hostname=target.server_name or None, do_handshake_on_connect=False)
        except (OSError, ValueError) as exc:
            return done(ProbeOutcome.ERROR, f"the TLS handshake failed: {exc}.")
        try:
            tls.do_handshake()
        except TimeoutError:
            return done(ProbeOutcome.TIMEOUT, f"no TLS answer from {host}:{port} within {timeout:g} s.")
        except ssl.SSLError as exc:
            # A server that wants a client certificate (TLS 1.2) stops the handshake after it has
            # shown its own chain: that chain is still what the client would judge.
            chain = safe_chain(tls)
            if chain:
                return done(REACHED, f"the server then ended the handshake ({exc.reason or exc}).", chain, True)
            return done(ProbeOutcome.ERROR, f"the TLS handshake failed: {exc.reason or exc}.")
        except OSError as exc:
            chain = safe_chain(tls)
            if chain:
                return done(REACHED, f"the server then closed the connection ({exc.strerror or exc}).", chain, True)
            return done(ProbeOutcome.ERROR, f"the TLS handshake failed: {exc.strerror or exc}.")
        chain = safe_chain(tls)
        try:
            tls.close()
        except OSError:
            pass
    if not chain:
        return done(ProbeOutcome.ERROR, "the server presented no certificate.")
    return done(REACHED, "", chain)


def safe_chain(tls: ssl.SSLSocket) -> tuple[bytes, ...]:
    try:
        return presented_chain(tls)
    except (ValueError, OSError, AttributeError):
        return ()


def handshake_all(targets: Iterable[Target], *, timeout: float | None = None,
                  concurrency: int | None = None) -> dict[Target, Presented]:
    """One handshake per distinct target, at most ``concurrency`` at once (threads: the handshakes
    wait on sockets, and ssl releases the GIL while it does)."""
    targets = list(dict.fromkeys(targets))
    timeout = settings.TLS_PROBE_TIMEOUT_SECONDS if timeout is None else timeout
    concurrency = max(1, min(concurrency or settings.PROBE_CONCURRENCY, len(targets) or 1))
    if not targets:
        return {}
    context = unverified_context()  # one context for all: its certificates and settings are shared
    if len(targets) == 1:
        return {targets[0]: handshake(targets[0], timeout, context)}
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="probe") as pool:
        return dict(zip(targets, pool.map(lambda t: handshake(t, timeout, context), targets), strict=True))


# -- examining a server for the officer (fetch from a server) ------------------------------------


def raw_handshake(host: str, port: int, server_hostname: str, timeout: float) -> tuple[bytes, ...]:
    """The chain ``host:port`` presents, unverified, raising what went wrong (for ``examine_server``,
    whose messages tell the officer which of those it was)."""
    with socket.create_connection((host, port), timeout=max(timeout, 0.05)) as raw:
        with unverified_context().wrap_socket(raw, server_hostname=server_hostname) as tls:
            return presented_chain(tls)


class FetchFailed(Exception):
    """No chain could be fetched from a server; the message says why in an operator's words, ``field``
    is the form field it is about (``host``) or None for the endpoint as a whole."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def examine_server(host: str, port: int, *, server_hostname: str, timeout: float) -> tuple[bytes, ...]:
    """The chain ``host:port`` presents (leaf first), fetched unverified, only to show it ("Examine SSL"):
    one connection and one handshake within ``timeout`` seconds each. ``FetchFailed`` with the reason
    (unknown host, refused, timed out, not TLS, no certificate); never trusts anything it receives."""
    where = f"{host}:{port}"
    try:
        chain = raw_handshake(host, port, server_hostname, timeout)
    except socket.gaierror as exc:
        raise FetchFailed(f"The host name {quoted(host)} cannot be resolved ({exc.strerror or exc}): check the "
                          f"spelling, or type its IP address.", "host") from exc
    except ConnectionRefusedError as exc:
        raise FetchFailed(f"{where} refused the connection: nothing listens on that port, or a firewall "
                          f"rejects it.") from exc
    except TimeoutError as exc:
        raise FetchFailed(f"No TLS answer from {where} within {timeout:g} s (TLS_PROBE_TIMEOUT_SECONDS): the "
                          f"port is filtered, or the server does not speak TLS there.") from exc
    except ssl.SSLError as exc:
        raise FetchFailed(f"{where} did not complete a TLS handshake ({exc.reason or exc}): is this the server's "
                          f"secure (TLS) port?") from exc
    except (UnicodeError, ValueError) as exc:
        raise FetchFailed(f"{quoted(host)} or the server name is not a valid host name ({exc}).", "host") from exc
    except OSError as exc:
        raise FetchFailed(f"Cannot connect to {where}: {exc.strerror or exc}.") from exc
    if not chain:
        raise FetchFailed(f"{where} completed the handshake but presented no certificate.")
    return chain


# -- judging the chain for each client ---------------------------------------------------------------

OUTCOME_OF_KIND = {"expired": ProbeOutcome.EXPIRED, "hostname": ProbeOutcome.HOSTNAME}


def judge(presented: Presented, store_ders: list[bytes] | None, *, host_name: str, check_host: bool,
          tls_enabled: bool = True) -> ProbeReport:
    """The result of one handshake for one client: its store (``store_ders``; None when the
    console does not know it) judges the presented chain offline, as Java would."""
    chain = presented.chain_der

    def report(outcome: str, detail: str) -> ProbeReport:
        note = f" Note: {presented.detail}" if presented.detail and presented.outcome == REACHED else ""
        return ProbeReport(outcome, detail + note + describe(chain), chain, presented.duration_ms)

    if presented.outcome != REACHED:
        return ProbeReport(presented.outcome, presented.detail, (), presented.duration_ms)
    if not tls_enabled or not store_ders:
        store = ("an empty trust store (no trusted store)" if not tls_enabled or store_ders is None
                 else "the application's trusted store, which is empty,")
        return report(ProbeOutcome.UNTRUSTED, f"{store} does not trust the server's certificate.")
    verdict = will_trust(chain, store_ders, host_name=host_name, check_host=check_host)
    if verdict.trusted:
        checked = " and host name" if check_host else ""
        return report(ProbeOutcome.OK, f"the application's trusted store verifies the server's certificate{checked} "
                                       f"({verdict.reason})")
    outcome = OUTCOME_OF_KIND.get(verdict.kind, ProbeOutcome.UNTRUSTED)
    if outcome == ProbeOutcome.UNTRUSTED:
        return report(outcome, f"the application's trusted store does not trust the server's certificate: "
                               f"{verdict.reason}")
    return report(outcome, verdict.reason)


def probe_tls(host: str, port: int, *, cadata: str | None, server_hostname: str, timeout: float,
              check_host: bool = True) -> ProbeReport:
    """One endpoint, one store (PEM ``cadata``; None: no store): a handshake and its judgement."""
    store = ([c.public_bytes(Encoding.DER) for c in x509.load_pem_x509_certificates(cadata.encode())]
             if cadata else None)
    presented = handshake(Target(host, port, server_hostname), timeout)
    return judge(presented, store, host_name=server_hostname, check_host=check_host)


# -- which connections, which store, which host check -------------------------------------------------


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


def checks_host_name(connection: Connection, effective=None) -> bool:
    """Whether the client checks the server's host name on this connection: Genesys does when its
    effective ``tls-target-name-check`` is ``host`` (its default: no check). ``effective``: the
    connection's ``EffectiveTls`` when the caller has it (lists resolve many at once)."""
    from security.effective_tls import effective_client_tls

    effective = effective or effective_client_tls(connection)
    return (effective.value("tls-target-name-check") or "").strip().lower() == "host"


def target_name(connection: Connection, effective) -> str:
    """The name the server's certificate must carry: the effective ``tls-target-name`` when one is set
    (Genesys checks it instead of the host name), else the host's address, as the client connects to it."""
    host = connection.port.application.host
    return (effective.value("tls-target-name") or "").strip() or (host.address if host else "")


@dataclass
class ClientTrust:
    """One trust configuration a connection runs with, and the applications that run it so."""

    config: object  # security.checks.verdict.TrustConfig
    store: TrustedStore | None
    apps: list = field(default_factory=list)


def trusts_of(clients) -> dict[int, list[ClientTrust]]:
    """Which store each client application verifies servers with (a Cluster: each of its Nodes,
    grouped by identical configuration). The one place probes and ``will_trust`` ask it; in a fixed
    number of queries for any number of clients (each with ``cluster`` joined)."""
    from security.deployment import runners_for

    result = {}
    for client_id, runners in runners_for(clients, for_checks=True).items():
        groups: dict = {}
        for runner in runners:
            group = groups.setdefault(runner.trust, ClientTrust(runner.trust, runner.store))
            group.apps.append(runner.app)
        result[client_id] = list(groups.values())
    return result


def client_trusts(connections: list[Connection]) -> dict[int, list[ClientTrust]]:
    """``trusts_of`` the client of each connection, by connection id."""
    by_client = trusts_of({c.client_id: c.client for c in connections}.values())
    return {c.pk: by_client[c.client_id] for c in connections}


@dataclass
class ConnectionRun:
    """One way a connection is run: the trust configuration, the name the client sends (SNI) and checks
    the certificate against, whether it checks it, and the applications that run it so (each Node of a
    Cluster reads its own section and its own Host's options, so two Nodes may differ in any of them)."""

    config: object  # security.checks.verdict.TrustConfig
    store: TrustedStore | None
    server_name: str
    check_host: bool
    apps: list = field(default_factory=list)


def connection_runs(connections: list[Connection]) -> dict[int, list[ConnectionRun]]:
    """How each connection is run, by connection id: its runners (``runners_for``) grouped by trust
    configuration and effective target name and host check, each read from that runner's own effective
    TLS (``effective_client_tls_pairs``). In a fixed number of queries for any number of connections
    (each with ``client__cluster`` and ``port__application__host`` joined)."""
    from security.deployment import runners_for
    from security.effective_tls import effective_client_tls_pairs

    runners = runners_for({c.client_id: c.client for c in connections}.values(), for_checks=True)
    effective = effective_client_tls_pairs([(c.pk, r.app.pk) for c in connections for r in runners[c.client_id]])
    result = {}
    for connection in connections:
        groups: dict = {}
        for runner in runners[connection.client_id]:
            tls = effective[(connection.pk, runner.app.pk)]
            key = (runner.trust, target_name(connection, tls), checks_host_name(connection, tls))
            group = groups.setdefault(key, ConnectionRun(runner.trust, runner.store, key[1], key[2]))
            group.apps.append(runner.app)
        result[connection.pk] = list(groups.values())
    return result


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


def store_certificates(store_ids: Iterable[int]) -> dict[int, list[bytes]]:
    """The certificates of each store, in one query."""
    from security.models import StoreEntry

    found: dict[int, list[bytes]] = {pk: [] for pk in store_ids}
    for store_id, der in (StoreEntry.objects.filter(store_id__in=list(found)).order_by("store_id", "position", "id")
                          .values_list("store_id", "certificate__der")):
        found[store_id].append(bytes(der))
    return found


# -- the service -------------------------------------------------------------------------------------


@dataclass
class ProbeRun:
    results: list[ProbeResult] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)  # connection id → why it was not probed
    handshakes: int = 0
    seconds: float = 0.0


def probe_connections(connection_ids: Iterable[int], *, timeout: float | None = None,
                      concurrency: int | None = None, validate: bool = True) -> ProbeRun:
    """Probe these connections: one handshake per distinct endpoint, concurrently; each client's
    store judges the chain offline; results recorded, history pruned, findings refreshed."""
    from security.validation import CONNECTION_JOINS

    started = time.monotonic()
    run = ProbeRun()
    connections = list(Connection.objects.select_related(*CONNECTION_JOINS).filter(pk__in=list(connection_ids))
                       .order_by("pk"))
    probed = []
    for connection in connections:
        refusal = probe_refusal(connection)
        if refusal:
            run.refused[connection.pk] = refusal
        else:
            probed.append(connection)
    if not probed:
        run.seconds = time.monotonic() - started
        return run

    runs = connection_runs(probed)

    def target_of(connection: Connection, how: ConnectionRun) -> Target:
        return Target(connection.port.application.host.address, connection.port.number, how.server_name)

    # One handshake per distinct target: Nodes that send another server name get their own.
    presented = handshake_all([target_of(c, how) for c in probed for how in runs[c.pk]], timeout=timeout,
                              concurrency=concurrency)
    run.handshakes = len(presented)
    certificates = store_certificates({how.store.pk for groups in runs.values() for how in groups if how.store})
    rows = []
    for connection in probed:
        for how in runs[connection.pk]:
            target = target_of(connection, how)
            config = how.config
            store_ders = certificates.get(how.store.pk) if how.store else None
            report = judge(presented[target], store_ders, host_name=target.server_name, check_host=how.check_host,
                           tls_enabled=bool(config.provider))
            rows.append(ProbeResult(
                connection=connection, host=target.host, port_id=connection.port.port_id,
                port_number=connection.port.number, outcome=report.outcome, detail=report.detail,
                provider=config.provider, store=how.store, store_name=config.store_name,
                store_digest=config.store_digest, used_by=", ".join(a.name for a in how.apps),
                chain_pem=report.chain_pem, duration_ms=report.duration_ms, host_checked=how.check_host,
            ))
    with transaction.atomic():
        run.results = ProbeResult.objects.bulk_create(rows)
        prune_history([c.pk for c in probed])
    logger.info("Probed %d connection(s) through %d handshake(s) in %.1f s.", len(probed), run.handshakes,
                time.monotonic() - started)
    if validate:
        validate_probed([c.pk for c in probed])
    run.seconds = time.monotonic() - started
    return run


def prune_history(connection_ids: list[int]) -> int:
    """Keep the newest ``PROBE_HISTORY`` results of each of these connections."""
    keep = settings.PROBE_HISTORY
    old = (ProbeResult.objects.filter(connection_id__in=connection_ids)
           .annotate(rank=Window(RowNumber(), partition_by=[F("connection_id")], order_by=[F("at").desc(),
                                                                                            F("id").desc()]))
           .filter(rank__gt=keep).values_list("pk", flat=True))
    ids = list(old)
    if ids:
        ProbeResult.objects.filter(pk__in=ids).delete()
    return len(ids)


VALIDATE_CHUNK = 200


def validate_probed(connection_ids: list[int]) -> None:
    """The findings of the probed connections, a chunk per transaction."""
    from security.validation import CONNECTION_JOINS, ValidationCache, validate_connections_of

    cache = ValidationCache()
    for start in range(0, len(connection_ids), VALIDATE_CHUNK):
        chunk = connection_ids[start:start + VALIDATE_CHUNK]
        with transaction.atomic():
            locked = (Connection.objects.select_for_update(of=("self",), no_key=True)
                      .select_related(*CONNECTION_JOINS).filter(pk__in=chunk).order_by("pk"))
            validate_connections_of(locked, cache)


def probe_connection(*, connection_id: int) -> list[ProbeResult]:
    """Probe one connection configured in the console and refresh its findings (one result per
    distinct trust configuration among the applications that run it). Raises ``NothingToProbe``
    for a connection whose port does not speak TLS or whose server has no host."""
    run = probe_connections([connection_id])
    if connection_id in run.refused:
        raise NothingToProbe(run.refused[connection_id])
    return run.results


def enqueue_probes(connection_ids: Iterable[int]) -> bool:
    """Queue one task probing these connections together (run at once when no broker is
    configured). False when the queue is unreachable."""
    from security.tasks import probe_batch

    ids = sorted(set(connection_ids))
    if not ids:
        return True
    try:
        probe_batch.delay(ids)
    except Exception as exc:  # noqa: BLE001 - any broker error: tell the operator, who can retry
        logger.warning("Could not enqueue the probe of %d connection(s) (%s).", len(ids), exc)
        return False
    return True


def enqueue_probe(connection_id: int) -> bool:
    """Queue a probe of one connection. False when the queue is unreachable."""
    return enqueue_probes([connection_id])
