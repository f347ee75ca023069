"""The one verdict on a connection: will its TLS work, and if not, why — and nothing else decides it.

``connection_verdict`` is a pure function over facts: the connection's port (R2, R3), and for each
application that *runs* the connection (the client itself, or each Node of a Cluster client: R1/R2)
the security section and trusted store it runs with and the last live probe made with exactly that
trust configuration. What it returns is stored as the connection's findings; an issue about one of
those applications carries ``detail_key`` ``app:<id>``, so a Cluster's row names each failing Node.

``verdict_of`` reads stored findings back into a verdict (ready / not ready / not secure / not
checked yet). The connection review, its CSV and filters, the readiness panel of every application
and the application list all call it over the same findings, so no two pages can disagree.

``probe_staleness`` says why a probe result no longer describes what the connection would do now
(another host, port or trust configuration): a stale probe decides nothing.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .codes import ERROR, WARNING, Issue

RUNNER_PREFIX = "app:"

READY = "ready"
NOT_READY = "not_ready"
NOT_SECURE = "not_secure"
UNCHECKED = "unchecked"
VERDICT_LABELS = {READY: "ready", NOT_READY: "not ready", NOT_SECURE: "not secure", UNCHECKED: "not checked yet"}

# The rank a connection is sorted by on the review: worst first (see ``worst_rank``).
SEVERITY_RANK = {ERROR: 0, WARNING: 1, "info": 2}
NO_FINDING_RANK = 3


def runner_key(app_id: int) -> str:
    """The ``detail_key`` of an issue about one application that runs a connection."""
    return f"{RUNNER_PREFIX}{app_id}"


@dataclass(frozen=True)
class TrustConfig:
    """What an application verifies servers with: the fields a probe records and is compared on."""

    provider: str = ""
    store_id: int | None = None
    store_name: str = ""
    store_digest: str = ""

    def describe(self) -> str:
        if not self.provider:
            return "TLS disabled"
        if self.store_id is None:
            return f"{self.provider}, a store the console does not know"
        return f"{self.provider} with the store {self.store_name}"


@dataclass(frozen=True)
class ProbeFacts:
    outcome: str
    at: dt.datetime
    detail: str
    store_name: str
    host: str = ""
    port_number: int = 0


@dataclass(frozen=True)
class RunnerFacts:
    """One application that runs the connection, with what it runs it with."""

    key: str
    name: str
    # A Co-browse application: the console knows its security section and judges it.
    judged: bool = True
    provider: str | None = None  # effective provider; None: the option is absent
    section_from: str = ""  # the application whose section it inherits (a Node's Cluster), if not its own
    section_errors: tuple[Issue, ...] = ()  # errors of the effective section (and its store) for this application
    store_name: str = ""  # "" when the console does not know the store
    store_errors: tuple[Issue, ...] = ()
    probe: ProbeFacts | None = None  # the last probe made with this trust configuration and endpoint


@dataclass(frozen=True)
class Endpoint:
    """What a probe of the connection would reach now."""

    host: str
    port_id: str
    port_number: int
    secured: bool
    # Whether the connection asks the client to check the server's host name; None: not known.
    check_host: bool | None = None


def connection_verdict(facts) -> list[Issue]:
    """Every issue that decides whether TLS will work on this connection (``ConnectionFacts``)."""
    from .connection import check_connection

    issues = check_connection(facts)
    if facts.secured:
        label = f"{facts.server_name}:{facts.port_id} ({facts.port_number})"
        for runner in facts.runners:
            issues += runner_issues(label, runner)
    return issues


def runner_issues(label: str, runner: RunnerFacts) -> list[Issue]:
    issues: list[Issue] = []
    where = f" (the section of {runner.section_from})" if runner.section_from else ""
    if runner.judged:
        if not runner.provider:
            state = "empty" if runner.provider == "" else "not set"
            return [Issue(
                "connection.tls_disabled",
                f"{runner.name} runs this connection with TLS disabled (provider {state}{where}): "
                f"the TLS connection to {label} will fail.",
                f"Set provider (PEM, JKS or MSCAPI) and the trusted store in the security section of "
                f"{runner.section_from or runner.name}.",
                detail_key=runner.key,
            )]
        if runner.section_errors:
            first = runner.section_errors[0]
            more = f" (and {len(runner.section_errors) - 1} more)" if len(runner.section_errors) > 1 else ""
            issues.append(Issue(
                "connection.client_misconfigured",
                f"{runner.name} runs this connection with a security section in error{where}: {first.message}{more}",
                first.hint,
                detail_key=runner.key,
            ))
        elif not runner.store_name:
            issues.append(Issue(
                "connection.trust_unknown",
                f"{runner.name} verifies {label} with {runner.provider}{where}, but the console does not know "
                "that trusted store: it cannot tell whether TLS will work.",
                "Choose a trusted store of the console in the security form, or create the store with this path.",
                detail_key=runner.key,
            ))
        elif runner.store_errors:
            first = runner.store_errors[0]
            more = f" (and {len(runner.store_errors) - 1} more)" if len(runner.store_errors) > 1 else ""
            issues.append(Issue(
                "connection.store_failing",
                f"{runner.name} verifies {label} with the trusted store {runner.store_name}, which has an error: "
                f"{first.message}{more}",
                first.hint,
                detail_key=runner.key,
            ))
    if runner.probe is not None:
        issues += probe_issues(label, runner)
    return issues


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


def probe_issues(label: str, runner: RunnerFacts) -> list[Issue]:
    probe = runner.probe
    if probe is None or probe.outcome not in PROBE_CODES:
        return []
    code, hint = PROBE_CODES[probe.outcome]
    store = f" with the store {probe.store_name}" if probe.store_name else " with no trusted store"
    reached = f" ({probe.host}:{probe.port_number})" if probe.host else ""
    return [Issue(
        code,
        f"Live probe of {label}{reached} for {runner.name} on {probe.at:%Y-%m-%d %H:%M}{store}: {probe.detail}",
        hint,
        detail_key=runner.key,
    )]


def probe_staleness(*, host: str, port_id: str, port_number: int, config: TrustConfig,
                    endpoint: Endpoint, current: Iterable[TrustConfig], host_checked: bool | None = None) -> list[str]:
    """Why a probe made against ``host``/``port_*`` with ``config`` no longer holds; [] while it does.

    ``current`` are the trust configurations the connection's applications have now (one per Node
    of a Cluster): the probe holds for those that equal ``config``."""
    reasons = []
    if not port_id:
        return ["it was made before probes recorded what they used"]
    if not endpoint.secured:
        reasons.append(f"the connection now goes through {endpoint.port_id} ({endpoint.port_number}), "
                       "which does not speak TLS")
    elif (port_id, port_number) != (endpoint.port_id, endpoint.port_number):
        reasons.append(f"it reached {port_id} ({port_number}); the connection now goes through "
                       f"{endpoint.port_id} ({endpoint.port_number})")
    if host != endpoint.host:
        reasons.append(f"it reached the host {host or 'none'}; the server's host is now {endpoint.host or 'none'}")
    if host_checked is not None and endpoint.check_host is not None and host_checked != endpoint.check_host:
        reasons.append("it checked the host name; the connection no longer asks for it (tls-target-name-check)"
                       if host_checked else "it did not check the host name; the connection now asks for it "
                                            "(tls-target-name-check=host)")
    current = list(current)
    if current and config not in current:
        now = "; ".join(dict.fromkeys(c.describe() for c in current))
        reasons.append(f"it used {config.describe()}{digest_note(config, current)}; the client now uses {now}")
    return reasons


def digest_note(config: TrustConfig, current: list[TrustConfig]) -> str:
    same_store = [c for c in current if c.store_id == config.store_id and c.provider == config.provider]
    if config.store_id is not None and same_store and all(c.store_digest != config.store_digest for c in same_store):
        return " (whose certificates have changed since)"
    return ""


# Reading the verdict back from stored findings (any objects with code, severity, message, detail_key).


@dataclass(frozen=True)
class Verdict:
    state: str
    # The applications (by name) for which the connection is not ready: each failing Node of a Cluster.
    failing: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    warnings: int = 0

    @property
    def label(self) -> str:
        return VERDICT_LABELS[self.state]

    @property
    def ready(self) -> bool:
        return self.state == READY


def is_runner_specific(finding) -> bool:
    return (finding.detail_key or "").startswith(RUNNER_PREFIX)


def verdict_of(findings: Iterable, *, secured: bool, runners: Mapping[str, str], checked: bool = True,
               runner: str | None = None) -> Verdict:
    """The verdict of one connection from its findings.

    ``runners`` maps each runner key to its name (the client, or each Node of a Cluster client).
    With ``runner``, the verdict for that application alone (a Node's own readiness panel)."""
    if runner is not None:
        runners = {runner: runners.get(runner, runner)}
    errors: list = []
    warnings = 0
    general_error = False
    failing_keys = set()
    for finding in findings:
        key = finding.detail_key or ""
        specific = key.startswith(RUNNER_PREFIX)
        if runner is not None and specific and key != runner:
            continue  # about another Node
        if finding.severity == ERROR:
            errors.append(finding)
            if specific:
                failing_keys.add(key)
            else:
                general_error = True
        elif finding.severity == WARNING:
            warnings += 1
    if not errors:
        state = READY if secured else NOT_SECURE
        return Verdict(state if checked else UNCHECKED, (), (), warnings)
    failing = tuple(name for key, name in runners.items() if general_error or key in failing_keys)
    return Verdict(NOT_READY, failing, tuple(dict.fromkeys(f.message for f in errors)), warnings)


def worst_rank(issues: Iterable) -> int:
    """0 for an error, 1 a warning, 2 info, 3 nothing: the review sorts on it."""
    return min((SEVERITY_RANK.get(i.severity, NO_FINDING_RANK) for i in issues), default=NO_FINDING_RANK)
