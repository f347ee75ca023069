"""``will_trust`` agrees with the real JSSE (JDK 17's default X509TrustManager and HostnameChecker)
on every chain of ``tests/probe/chains.py``: each case is judged by ``java Verify.java`` and by us."""

import shutil
import subprocess
from pathlib import Path

import pytest

from security.trust import will_trust
from tests.probe.chains import cases

JAVA = shutil.which("java") or "/usr/bin/java"
VERIFY = Path(__file__).parent / "java" / "Verify.java"


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    """Each case with Java's answer: name → (case, "OK" or "FAIL reason")."""
    root = tmp_path_factory.mktemp("jsse")
    built = cases()
    for case in built:
        folder = root / case.name
        folder.mkdir()
        (folder / "store.pem").write_bytes(b"".join(c.pem for c in case.store))
        (folder / "chain.pem").write_bytes(b"".join(c.pem for c in case.chain))
        if case.host is not None:
            (folder / "host.txt").write_text(case.host)
    run = subprocess.run([JAVA, "--add-exports", "java.base/sun.security.util=ALL-UNNAMED", str(VERIFY), str(root)],
                         capture_output=True, text=True, timeout=120, check=True)
    answers = dict(line.split(" ", 1) for line in run.stdout.splitlines())
    assert set(answers) == {c.name for c in built}, run.stderr
    return {c.name: (c, answers[c.name]) for c in built}


def test_java_and_will_trust_agree_on_every_case(judged):
    disagreements = []
    for name, (case, java) in sorted(judged.items()):
        verdict = will_trust(case.chain_der, [c.der for c in case.store], host_name=case.host,
                             check_host=case.host is not None)
        if verdict.trusted != (java == "OK"):
            disagreements.append(f"{name}: Java {java!r}, will_trust {verdict.trusted} ({verdict.reason})")
    assert not disagreements, "\n".join(disagreements)


def test_the_case_set_has_both_answers_from_java(judged):
    """A set Java accepts wholly (or refuses wholly) would prove little."""
    answers = [java == "OK" for _, java in judged.values()]
    assert 10 <= sum(answers) <= len(answers) - 10
    # The cases that show Java is not the WebPKI: it accepts them and so must we.
    for lenient in ("intermediate_as_anchor", "expired_root_anchor", "cn_only_host_matches", "rsa_1024_key",
                    "sha1_signature_private_ca", "self_signed_in_store"):
        assert judged[lenient][1] == "OK", lenient
    for strict in ("md5_signature", "rsa_512_key", "intermediate_ca_false", "san_differs_cn_matches",
                   "ip_in_cn_only", "path_length_exceeded", "leaf_client_auth_only"):
        assert judged[strict][1].startswith("FAIL"), strict
