"""Issue 15.3: fetch a server's chain ("Examine SSL") on the upload page, then import the CAs chosen
into the library and, optionally, trusted stores.

Real TLS servers on 127.0.0.1 present the generated certificates (leaf + intermediate, the leaf only,
leaf + intermediate + root); a refused port, a port that accepts TCP and never answers, and a port
that answers something other than TLS stand for the endpoints an operator mistypes.
"""

from __future__ import annotations

import base64
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.urls import reverse

from applications.models import AuditEvent
from security.crypto.identity import format_fingerprint
from security.models import Certificate, TrustedStore
from security.stores import store_save
from security.views_library import FETCH_SESSION_KEY
from tests.certs.make_certs import INTERMEDIATE_CN, OTHER_CN, ROOT_CN
from tests.certs.tls_server import closed_port, silent_server, tls_server
from tests.checks.world import World
from tests.library.conftest import text_of

FETCH_URL = reverse("security:certificate_fetch")


@pytest.fixture(scope="session")
def full_chain(cert_files, tmp_path_factory):
    """A chain file with the root too: the server sends leaf + intermediate + root."""
    path = tmp_path_factory.mktemp("fullchain") / "server-full-chain.pem"
    path.write_bytes(cert_files["server-chain.pem"].read_bytes() + cert_files["ca.pem"].read_bytes())
    return path


@pytest.fixture
def server(cert_files, full_chain):
    """``with server("chain") as port``: "chain" sends leaf + intermediate, "leaf" the leaf only, "full" all three."""
    chains = {"chain": cert_files["server-chain.pem"], "leaf": cert_files["server.pem"], "full": full_chain}

    def start(kind: str):
        return tls_server(chains[kind], cert_files["server.key.pem"])

    return start


@contextmanager
def plain_server() -> Iterator[int]:
    """Answers every connection with an HTTP error in clear text, as a web server's plain port does."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def fetch(client, port, host="127.0.0.1", server_name=""):
    return client.post(FETCH_URL, {"host": host, "port": port, "server_name": server_name})


def token_of(client) -> str:
    return client.session[FETCH_SESSION_KEY]["token"]


def chain_rows(response) -> list[tuple[str, str]]:
    """(role, "offered"/"not offered") of each presented certificate, in the order shown."""
    html = text_of(response)
    rows = re.findall(r'<tr class="[^"]*" data-role="(\w+)" data-fingerprint="(\w+)">(.*?)</tr>', html, re.S)
    return [(role, "offered" if 'name="certificates"' in body else "not offered") for role, _, body in rows]


def presented(client) -> dict[str, str]:
    """Common name → fingerprint of the chain the draft holds (what the page offered)."""
    from security.crypto.parse import certificate_details, load_der_certificate

    found = {}
    for der in client.session[FETCH_SESSION_KEY]["chain"]:
        details = certificate_details(load_der_certificate(base64.b64decode(der)))
        found[details.common_name] = details.fingerprint_sha256
    return found


def confirm(client, *, certificates, stores=(), accept_warnings=False, token=None, follow=True, **extra):
    data = {"token": token or token_of(client), "certificates": list(certificates),
            "stores": [s.pk for s in stores], **extra}
    if accept_warnings:
        data["accept_warnings"] = "on"
    return client.post(FETCH_URL, data, follow=follow)


# What the server sent


def test_leaf_and_intermediate_shows_both_offers_the_intermediate_and_says_no_root_was_sent(officer, server):
    with server("chain") as port:
        response = fetch(officer, port)
    assert response.status_code == 200
    html = text_of(response)
    assert chain_rows(response) == [("leaf", "not offered"), ("intermediate", "offered")]
    assert "The server sent no root; upload the root CA from its issuer." in html
    assert ROOT_CN in html  # the issuer to ask for
    assert "You can still import the intermediate below." in html
    # Subject, issuer, validity and the fingerprint in the one format (with its Copy button).
    assert f"CN={INTERMEDIATE_CN}" in html and "2020-01-01 to 2039-01-01" in html
    for digest in presented(officer).values():
        assert f'data-copy="{format_fingerprint(digest)}"' in html  # the whole SHA-256, in the one format
    assert "not a CA, so no trust anchor" in html
    assert Certificate.objects.count() == 0  # fetching stores nothing


def test_the_missing_root_is_linked_when_the_library_holds_it(officer, server, cert_files):
    root = World(cert_files).cert("ca.pem")
    with server("chain") as port:
        html = text_of(fetch(officer, port))
    assert "The library already holds it" in html and root.get_absolute_url() in html


def test_leaf_only_offers_nothing_and_says_why(officer, server):
    with server("leaf") as port:
        response = fetch(officer, port)
    assert chain_rows(response) == [("leaf", "not offered")]
    html = text_of(response)
    assert "The server sent no root" in html
    assert "The server presented no CA certificate: nothing here can be imported." in html
    assert "Import</button>" not in html


def test_leaf_intermediate_and_root_imports_the_chosen_cas_into_two_stores_in_one_step(officer, server, cert_files):
    world = World(cert_files)
    pem = world.store("Cluster PEM", certs=("other-ca.pem",))
    jks = world.store("Nodes JKS", provider="JKS", certs=("other-ca.pem",), password="Jks-Secret-4711")
    untouched = world.store("Untouched", certs=("other-ca.pem",))
    with server("full") as port:
        response = fetch(officer, port)
    html = text_of(response)
    assert chain_rows(response) == [("leaf", "not offered"), ("intermediate", "offered"), ("root", "offered")]
    assert "sent no root" not in html
    assert "Jks-Secret-4711" not in html  # the stores are offered by name, never their password
    chain = presented(officer)
    events_before = AuditEvent.objects.count()
    response = confirm(officer, certificates=[chain[ROOT_CN], chain[INTERMEDIATE_CN]], stores=[pem, jks])
    assert response.redirect_chain[-1][0] == reverse("security:certificate_list")
    assert f"Imported 2 certificate(s) from 127.0.0.1:{port}" in text_of(response)
    assert set(Certificate.objects.values_list("common_name", flat=True)) == {OTHER_CN, ROOT_CN, INTERMEDIATE_CN}
    for store in (pem, jks):
        members = list(store.entries.order_by("position").values_list("certificate__common_name", flat=True))
        assert members == [OTHER_CN, ROOT_CN, INTERMEDIATE_CN]  # added after the members, root first
    assert list(untouched.entries.values_list("certificate__common_name", flat=True)) == [OTHER_CN]
    root = Certificate.objects.get(common_name=ROOT_CN)
    assert (root.source_kind, root.source_filename) == ("server", f"127.0.0.1:{port}")
    # Audited as an upload is: one import event per new certificate, one update per store.
    events = AuditEvent.objects.filter(id__gt=0).order_by("id")[events_before:]
    imports = [e for e in events if e.action == "import"]
    assert {e.object_repr for e in imports} >= {str(root)} and len(imports) == 2
    assert all(e.message == f"from 127.0.0.1:{port} (server)" for e in imports)
    assert {e.object_repr for e in events if e.object_type == "store"} == {"Cluster PEM", "Nodes JKS"}
    assert not any("Jks-Secret-4711" in str(e.changes) + e.message for e in AuditEvent.objects.all())
    assert FETCH_SESSION_KEY not in officer.session  # the draft is used once


def test_the_intermediate_alone_goes_into_the_library_when_no_root_was_sent(officer, server):
    with server("chain") as port:
        fetch(officer, port)
    response = confirm(officer, certificates=[presented(officer)[INTERMEDIATE_CN]])
    intermediate = Certificate.objects.get()
    assert intermediate.common_name == INTERMEDIATE_CN
    assert response.redirect_chain[-1][0] == intermediate.get_absolute_url()


def test_the_server_name_is_sent_in_the_handshake_and_defaults_to_the_host(officer, cert_files):
    names = []
    with tls_server(cert_files["server-chain.pem"], cert_files["server.key.pem"], server_names=names) as port:
        fetch(officer, port, host="127.0.0.1", server_name="cobrowse.example")
        assert officer.session[FETCH_SESSION_KEY]["server_name"] == "cobrowse.example"
        fetch(officer, port, host="localhost")
        assert officer.session[FETCH_SESSION_KEY]["server_name"] == "localhost"
    assert names == ["cobrowse.example", "localhost"]


# Bad input: a form error with what was typed kept, never a 500


def assert_form_error(response, message: str, **typed):
    assert response.status_code == 200
    html = text_of(response)
    assert "What <span" not in html, "a chain was shown"
    assert message in html, html
    for name, value in typed.items():
        assert re.search(rf'name="{name}" value="{re.escape(str(value))}"', html), (name, value)


def test_a_refused_port_is_a_form_error(officer):
    port = closed_port()
    assert_form_error(fetch(officer, port), f"127.0.0.1:{port} refused the connection", host="127.0.0.1", port=port)


def test_an_unresolvable_host_is_an_error_on_the_host_field(officer):
    response = fetch(officer, 443, host="no-such-host.invalid")
    assert_form_error(response, "The host name &quot;no-such-host.invalid&quot; cannot be resolved",
                      host="no-such-host.invalid", port=443)
    assert 'id="error_1_id_host"' in text_of(response) or "is-invalid" in text_of(response)


def test_a_port_out_of_range_is_refused_and_kept_as_typed(officer):
    assert_form_error(fetch(officer, "70000"), "A port is a number from 1 to 65535.", port="70000")
    assert_form_error(fetch(officer, "0"), "A port is a number from 1 to 65535.", port="0")
    assert_form_error(fetch(officer, "https"), "A port is a number from 1 to 65535.", port="https")


def test_a_url_or_host_with_port_is_refused_and_kept(officer):
    assert_form_error(fetch(officer, 443, host="https://core-01/"), "no scheme or path", host="https://core-01/")
    assert_form_error(fetch(officer, 443, host="core-01:8443"), "Type the port in the Port field",
                      host="core-01:8443")


def test_a_port_that_does_not_speak_tls_is_a_form_error(officer):
    with plain_server() as port:
        assert_form_error(fetch(officer, port), "did not complete a TLS handshake", port=port)


def test_a_hung_endpoint_costs_one_timeout(officer, settings):
    settings.TLS_PROBE_TIMEOUT_SECONDS = 1
    with silent_server() as port:
        started = time.monotonic()
        response = fetch(officer, port)
        elapsed = time.monotonic() - started
    assert_form_error(response, f"No TLS answer from 127.0.0.1:{port} within 1 s", port=port)
    # One handshake, one timeout: not a second attempt (the probe's unverified retry) on top.
    assert 1 <= elapsed < 1.9, elapsed


def test_private_and_loopback_addresses_are_allowed(officer, server):
    with server("chain") as port:
        assert chain_rows(fetch(officer, port, host="127.0.0.1"))  # loopback, as an internal host would be
        assert chain_rows(fetch(officer, port, host="localhost"))


# The confirm step cannot be forged


def test_a_forged_token_imports_nothing(officer, server):
    with server("full") as port:
        fetch(officer, port)
    chain = presented(officer)
    response = confirm(officer, certificates=[chain[ROOT_CN]], token="forged-token")
    assert "That preview has expired or was already imported" in text_of(response)
    assert Certificate.objects.count() == 0


def test_a_certificate_the_server_did_not_present_cannot_be_slipped_in(officer, server, cert_files):
    other = World(cert_files).cert("other-ca.pem")  # in the library, but not part of this chain
    with server("chain") as port:
        fetch(officer, port)
    chain = presented(officer)
    count = Certificate.objects.count()
    for forged in (other.fingerprint_sha256, chain["localhost"], "AB" * 32):
        response = confirm(officer, certificates=[forged], follow=False)
        assert response.status_code == 200
        assert "Only the CA certificates the server presented can be imported." in text_of(response)
    # A DER posted beside the choice is not read: only the draft's chain is.
    confirm(officer, certificates=[chain[INTERMEDIATE_CN]], der=base64.b64encode(other.der).decode())
    assert Certificate.objects.count() == count + 1
    assert Certificate.objects.filter(common_name=INTERMEDIATE_CN).exists()


def test_a_store_not_offered_on_the_preview_cannot_be_chosen(officer, server, cert_files):
    with server("full") as port:
        fetch(officer, port)
    later = World(cert_files).store("Created later", certs=("other-ca.pem",))
    response = confirm(officer, certificates=[presented(officer)[ROOT_CN]], stores=[later], follow=False)
    assert response.status_code == 200 and "Select a valid choice" in text_of(response)
    assert not Certificate.objects.filter(common_name=ROOT_CN).exists()
    assert later.entries.count() == 1


def test_a_draft_is_used_once(officer, server):
    with server("chain") as port:
        fetch(officer, port)
    token, chain = token_of(officer), presented(officer)
    confirm(officer, certificates=[chain[INTERMEDIATE_CN]])
    response = confirm(officer, certificates=[chain[INTERMEDIATE_CN]], token=token)
    assert "That preview has expired or was already imported" in text_of(response)


def test_an_expired_ca_needs_the_warnings_box_as_on_the_upload(officer, cert_files, tmp_path):
    chain = tmp_path / "expired-chain.pem"
    chain.write_bytes(cert_files["server.pem"].read_bytes() + cert_files["expired-ca.pem"].read_bytes())
    with tls_server(chain, cert_files["server.key.pem"]) as port:
        html = text_of(fetch(officer, port))
    assert "expired on 2021-01-01" in html and "Import the certificates with warnings too" in html
    expired = presented(officer)["Co-browse Expired CA"]
    response = confirm(officer, certificates=[expired])
    assert "1 with warnings were not imported" in text_of(response)
    assert Certificate.objects.count() == 0
    with tls_server(chain, cert_files["server.key.pem"]) as port:
        fetch(officer, port)
    confirm(officer, certificates=[expired], accept_warnings=True)
    assert Certificate.objects.get().common_name == "Co-browse Expired CA"


# No lost update on the stores


def test_a_store_changed_since_the_preview_is_a_conflict_and_nothing_is_saved(officer, server, cert_files):
    world = World(cert_files)
    store = world.store("Cluster PEM", certs=("other-ca.pem",))
    with server("full") as port:
        fetch(officer, port)
    chain = presented(officer)
    # Meanwhile, someone else empties the store.
    store_save(store=TrustedStore.objects.get(pk=store.pk), certificates=[], password=None, actor=None)
    response = confirm(officer, certificates=[chain[ROOT_CN]], stores=[store], follow=False)
    html = text_of(response)
    assert response.status_code == 200 and 'id="stale-edit"' in html
    assert "Changed by someone else since you opened this page: the trusted store Cluster PEM." in html
    assert "Nothing was imported." in html
    assert not Certificate.objects.filter(common_name=ROOT_CN).exists()
    assert store.entries.count() == 0
    # The choices are kept on the page; the officer, having seen the banner, imports again.
    assert re.search(rf'value="{chain[ROOT_CN]}"[^>]*checked', html)
    confirm(officer, certificates=[chain[ROOT_CN]], stores=[store])
    assert list(store.entries.values_list("certificate__common_name", flat=True)) == [ROOT_CN]


# Access: the roles of the upload


@pytest.mark.parametrize(("role", "allowed"), [(None, False), ("viewer", False), ("operator", False),
                                               ("security", True), ("admin", True)])
def test_only_the_roles_of_the_upload_may_fetch(client_as, server, role, allowed):
    client = client_as(role)
    with server("chain") as port:
        get = client.get(FETCH_URL)
        post = fetch(client, port)
    if allowed:
        assert get.status_code == 200 and chain_rows(post) == [("leaf", "not offered"), ("intermediate", "offered")]
        return
    for response in (get, post):
        assert response.status_code in (302, 403)
        if role is None:
            assert response["Location"].startswith(reverse("login"))
    assert FETCH_SESSION_KEY not in client.session


def test_a_link_pre_fills_the_form_and_fetches_nothing(officer):
    html = text_of(officer.get(FETCH_URL, {"host": "core-01.internal", "port": "9443"}))
    assert 'value="core-01.internal"' in html and 'value="9443"' in html
    assert FETCH_SESSION_KEY not in officer.session


def test_a_ca_already_in_the_library_is_offered_checked_and_goes_into_the_store(officer, server, cert_files):
    world = World(cert_files)
    root = world.cert("ca.pem")
    store = world.store("Cluster PEM", certs=("other-ca.pem",))
    with server("full") as port:
        response = fetch(officer, port)
    html = text_of(response)
    assert f'<a href="{reverse("security:certificate_detail", args=[root.pk])}">already in the library</a>' in html
    assert re.search(rf'value="{root.fingerprint_sha256}"[^>]*checked', html)  # every CA offered is ticked
    response = confirm(officer, certificates=[root.fingerprint_sha256], stores=[store])
    assert "Imported 0 certificate(s)" in text_of(response) and "1 were already in the library" in text_of(response)
    assert Certificate.objects.filter(common_name=ROOT_CN).count() == 1
    assert list(store.entries.order_by("position").values_list("certificate__common_name", flat=True)) == [
        OTHER_CN, ROOT_CN]
    assert response.redirect_chain[-1][0] == store.get_absolute_url()
