"""``will_trust`` as a pure function: the moment it judges at, its reasons, bad input."""

from security.trust import will_trust
from tests.probe.chains import DAY, NOW, issue


def chain():
    root = issue("Root CA", ca=True)
    inter = issue("Intermediate CA", issuer=root, ca=True)
    leaf = issue("localhost", issuer=inter, san=["localhost"], not_after=NOW + 100 * DAY)
    return root, inter, leaf


def test_the_moment_decides_validity():
    root, inter, leaf = chain()
    assert will_trust([leaf.der, inter.der], [root.der], at=NOW).trusted
    later = will_trust([leaf.der, inter.der], [root.der], at=NOW + 200 * DAY)
    assert not later.trusted and later.kind == "expired"
    assert later.reason.startswith("the server's certificate (CN=localhost,O=Trust Tests) expired on ")
    earlier = will_trust([leaf.der, inter.der], [root.der], at=NOW - 365 * DAY)
    assert not earlier and "is not valid until" in earlier.reason


def test_the_path_is_leaf_first_anchor_last():
    root, inter, leaf = chain()
    verdict = will_trust([leaf.der, inter.der], [root.der])
    assert [c.subject.rfc4514_string() for c in verdict.path] == [
        "CN=localhost,O=Trust Tests", "CN=Intermediate CA,O=Trust Tests", "CN=Root CA,O=Trust Tests"]
    assert verdict.reason == ("trusted: CN=localhost,O=Trust Tests chains through 1 intermediate(s) to "
                              "CN=Root CA,O=Trust Tests, which the store holds.")


def test_host_name_is_checked_only_when_asked():
    root, inter, leaf = chain()
    assert will_trust([leaf.der, inter.der], [root.der], host_name="elsewhere.test").trusted
    refused = will_trust([leaf.der, inter.der], [root.der], host_name="elsewhere.test", check_host=True)
    assert (refused.trusted, refused.kind) == (False, "hostname")
    assert refused.reason.endswith("does not match the host name elsewhere.test.")


def test_empty_store_empty_chain_and_garbage():
    root, inter, leaf = chain()
    assert will_trust([leaf.der], []).reason == "the trusted store is empty: nothing trusts CN=localhost,O=Trust Tests."
    assert will_trust([], [root.der]).kind == "empty"
    garbage = will_trust([b"not a certificate"], [root.der])
    assert not garbage.trusted and garbage.reason.startswith("the chain cannot be read")
    # A store certificate that cannot be read is no anchor; the others still are.
    assert will_trust([leaf.der, inter.der], [b"junk", root.der]).trusted
