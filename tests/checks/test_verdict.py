"""The verdict function alone: pure facts in, issues out; and the verdict read back from findings."""

import datetime as dt
from dataclasses import replace

from security.checks import Issue
from security.checks.connection import ConnectionFacts
from security.checks.verdict import (
    Endpoint,
    ProbeFacts,
    RunnerFacts,
    TrustConfig,
    connection_verdict,
    probe_staleness,
    runner_key,
    verdict_of,
    worst_rank,
)

AT = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
GOOD = dict(judged=True, provider="PEM", store_name="Genesys CA")


def facts(*runners: RunnerFacts, secured: bool = True) -> ConnectionFacts:
    return ConnectionFacts(
        client_name="Cobrowse_Cluster", client_type="cobrowse_cluster", client_version="8.5.003.04",
        server_name="MessageServer", server_type="message_server", port_id="secure" if secured else "default",
        port_number=4021 if secured else 4020, secured=secured,
        server_secure_ports=() if secured else (("secure", 4021),), runners=runners)


def node(number: int, **kwargs) -> RunnerFacts:
    return RunnerFacts(key=runner_key(number), name=f"Cobrowse_Node_{number}", **{**GOOD, **kwargs})


def found(issues: list[Issue]) -> list[tuple[str, str]]:
    return sorted((i.code, i.detail_key) for i in issues)


def test_a_cluster_connection_is_judged_by_each_node_and_names_the_failing_ones():
    issues = connection_verdict(facts(node(1), node(2, provider=None), node(3, provider="")))

    assert found(issues) == [("connection.tls_disabled", "app:2"), ("connection.tls_disabled", "app:3")]
    assert "Cobrowse_Node_2 runs this connection with TLS disabled (provider not set)" in issues[0].message
    assert "provider empty" in issues[1].message
    assert all(i.severity == "error" for i in issues)


def test_every_way_a_node_can_fail_is_its_own_finding():
    section_error = Issue("application.trusted_ca_missing", "provider is PEM but trusted-ca is empty.", "Set it.")
    store_error = Issue("store.expired", "“Root” expired on 2025-01-01.", "Renew it.", detail_key="x")
    probe = ProbeFacts("untrusted", AT, "the store does not trust it.", "Genesys CA", "10.0.0.5", 4021)
    issues = connection_verdict(facts(
        node(1, section_errors=(section_error,)), node(2, store_name=""), node(3, store_errors=(store_error,)),
        node(4, probe=probe), node(5, probe=replace(probe, outcome="ok"))))

    assert found(issues) == [("connection.client_misconfigured", "app:1"), ("connection.probe_untrusted", "app:4"),
                             ("connection.store_failing", "app:3"), ("connection.trust_unknown", "app:2")]
    messages = {i.code: i.message for i in issues}
    assert "provider is PEM but trusted-ca is empty." in messages["connection.client_misconfigured"]
    assert "expired on 2025-01-01" in messages["connection.store_failing"]
    assert "(10.0.0.5:4021) for Cobrowse_Node_4" in messages["connection.probe_untrusted"]


def test_a_port_without_tls_is_not_judged_by_its_nodes():
    issues = connection_verdict(facts(node(1, provider=None), secured=False))

    assert found(issues) == [("connection.insecure_port", "")]


def test_a_client_that_is_not_co_browse_is_judged_only_by_its_probes():
    outsider = RunnerFacts(key=runner_key(9), name="ChatServer", judged=False)

    assert connection_verdict(facts(outsider)) == []


def test_the_verdict_read_back_names_the_failing_nodes_and_a_node_sees_only_its_own():
    runners = {runner_key(n): f"Cobrowse_Node_{n}" for n in (1, 2, 3)}
    findings = connection_verdict(facts(node(1), node(2, provider=None), node(3)))

    whole = verdict_of(findings, secured=True, runners=runners)
    assert (whole.state, whole.failing) == ("not_ready", ("Cobrowse_Node_2",))
    assert verdict_of(findings, secured=True, runners=runners, runner=runner_key(1)).state == "ready"
    mine = verdict_of(findings, secured=True, runners=runners, runner=runner_key(2))
    assert (mine.state, mine.failing) == ("not_ready", ("Cobrowse_Node_2",))


def test_an_error_about_the_connection_itself_fails_it_for_every_node():
    runners = {runner_key(1): "Cobrowse_Node_1", runner_key(2): "Cobrowse_Node_2"}
    misplaced = Issue("connection.misplaced", "on the wrong object.", "Move it.")

    verdict = verdict_of([misplaced], secured=True, runners=runners)

    assert verdict.failing == ("Cobrowse_Node_1", "Cobrowse_Node_2")
    assert verdict_of([misplaced], secured=True, runners=runners, runner=runner_key(1)).state == "not_ready"


def test_without_errors_the_verdict_is_ready_not_secure_or_not_checked():
    warning = Issue("connection.insecure_port", "goes through a non-secure port.", "Use secure.")
    runners = {runner_key(1): "Cobrowse_Server"}

    assert verdict_of([], secured=True, runners=runners).state == "ready"
    insecure = verdict_of([warning], secured=False, runners=runners)
    assert (insecure.state, insecure.warnings) == ("not_secure", 1)
    assert verdict_of([], secured=True, runners=runners, checked=False).state == "unchecked"
    assert [worst_rank([]), worst_rank([warning]), worst_rank([warning, Issue("connection.misplaced", "x")])] == [
        3, 1, 0]


PEM = TrustConfig("PEM", 7, "Genesys CA", "d" * 64)
NOW = Endpoint("10.0.0.5", "secure", 4021, True)


def staleness(**changes) -> list[str]:
    probe = dict(host="10.0.0.5", port_id="secure", port_number=4021, config=PEM, endpoint=NOW, current=[PEM])
    return probe_staleness(**{**probe, **changes})


def test_a_probe_holds_while_nothing_it_used_has_changed():
    assert staleness() == []
    # One of the Nodes still runs with what was probed: the result holds for it.
    assert staleness(current=[PEM, TrustConfig()]) == []


def test_a_probe_goes_stale_when_what_it_reached_or_used_changes():
    assert staleness(endpoint=replace(NOW, host="10.0.0.6")) == [
        "it reached the host 10.0.0.5; the server's host is now 10.0.0.6"]
    assert staleness(endpoint=replace(NOW, port_number=4031)) == [
        "it reached secure (4021); the connection now goes through secure (4031)"]
    assert staleness(endpoint=Endpoint("10.0.0.5", "default", 4020, False)) == [
        "the connection now goes through default (4020), which does not speak TLS"]
    assert staleness(current=[TrustConfig("JKS", 8, "Keystore", "e" * 64)]) == [
        "it used PEM with the store Genesys CA; the client now uses JKS with the store Keystore"]
    assert staleness(current=[replace(PEM, store_digest="f" * 64)]) == [
        "it used PEM with the store Genesys CA (whose certificates have changed since); "
        "the client now uses PEM with the store Genesys CA"]
    assert staleness(port_id="") == ["it was made before probes recorded what they used"]
