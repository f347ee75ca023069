"""Impact preview (issue 15.4): which connections lose or gain their trust path when a store changes,
judged from the chains real probes saw from real TLS servers on 127.0.0.1."""

import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.urls import reverse

from applications.models import AuditEvent, OperatingSystem
from security.impact import NOT_PROBED, SeenConnection, impact, store_impact
from security.models import Certificate, ProbeResult, StoreEntry, TrustedStore
from security.probe import probe_connection
from security.stores import store_save, store_version
from tests.probe.test_probe_connection import listening_on


def ders(cert_files, *names):
    found = []
    for name in names:
        found += [c.public_bytes(Encoding.DER) for c in x509.load_pem_x509_certificates(cert_files[name].read_bytes())]
    return found


def seen(chain=(), **kw):
    return SeenConnection(connection_id=1, label="c", client_id=1, server_id=2, apps=((1, "a"),), chain_der=chain,
                          host_name="127.0.0.1", **kw)


# -- the pure function --------------------------------------------------------------------------------


def test_removing_the_root_the_chain_needs_loses_it_and_an_unrelated_ca_does_not(cert_files):
    chain = ders(cert_files, "server-chain.pem")
    root, other = ders(cert_files, "ca.pem"), ders(cert_files, "other-ca.pem")
    lost = impact([seen(chain)], root + other, other)
    assert [r.seen.connection_id for r in lost.lost] == [1] and not lost.unchanged
    assert lost.lost[0].before.trusted and not lost.lost[0].after.trusted
    assert "no path" in lost.lost[0].reason
    kept = impact([seen(chain)], root + other, root)
    assert not kept.lost and not kept.gained and len(kept.unchanged) == 1 and kept.unchanged[0].after.trusted


def test_adding_the_missing_root_gains_and_no_chain_is_unknown(cert_files):
    chain = ders(cert_files, "server-chain.pem")
    other, root = ders(cert_files, "other-ca.pem"), ders(cert_files, "ca.pem")
    result = impact([seen(chain), seen()], other, other + root)
    assert len(result.gained) == 1 and result.gained[0].after.trusted and not result.gained[0].before.trusted
    assert [r.reason for r in result.unknown] == [NOT_PROBED] and not result.lost


def test_the_host_name_check_is_part_of_the_verdict(cert_files):
    chain = ders(cert_files, "wronghost-server.pem")
    root = ders(cert_files, "ca.pem")
    checked = impact([seen(chain, check_host=True)], root, [])
    assert not checked.lost and len(checked.unchanged) == 1  # never trusted: the name does not match
    unchecked = impact([seen(chain)], root, [])
    assert len(unchecked.lost) == 1


# -- with real probes -------------------------------------------------------------------------------


@pytest.fixture
def probed(probe_world, serve):
    """The Cluster's connection to a real server presenting server + intermediate under the test root,
    probed for real; the Nodes run it with the store "Genesys CA" (the root and an unrelated CA)."""
    w = probe_world
    store = TrustedStore.objects.get(name="Genesys CA")
    store_save(store=store, certificates=[w.cert("ca.pem"), w.cert("other-ca.pem")], password=None, actor="tests")
    with serve("trusted") as port:
        connection = listening_on(w, port)
        probe_connection(connection_id=connection.pk)
    assert ProbeResult.objects.get(connection=connection).outcome == "ok"
    w.connection = connection
    w.store_ = TrustedStore.objects.get(pk=store.pk)
    return w


def test_a_real_probe_chain_loses_its_path_without_the_root(probed):
    w = probed
    preview = store_impact(w.store_, [w.cert("other-ca.pem")])
    assert [r.seen.connection_id for r in preview.impact.lost] == [w.connection.pk]
    assert {name for _pk, name in preview.impact.lost[0].seen.apps} == {"Cobrowse_Node_1", "Cobrowse_Node_2"}
    assert [m.name for m in preview.removed] == [str(w.cert("ca.pem"))]
    assert [name for _pk, name in preview.restart] == ["Cobrowse_Node_1", "Cobrowse_Node_2"]
    unrelated = store_impact(w.store_, [w.cert("ca.pem")])
    assert not unrelated.impact.lost and len(unrelated.impact.unchanged) == 1


def test_a_probe_stale_by_the_store_change_still_shows_the_chain_a_new_port_does_not(probed):
    w = probed
    store_save(store=w.store_, certificates=[w.cert("ca.pem")], password=None, actor="tests")  # digest changed
    store = TrustedStore.objects.get(pk=w.store_.pk)
    assert len(store_impact(store, [w.cert("other-ca.pem")]).impact.lost) == 1
    w.message_secure.number += 1
    w.message_secure.save()
    unknown = store_impact(store, [w.cert("other-ca.pem")]).impact.unknown
    assert len(unknown) == 1 and "stale" in unknown[0].reason


def test_a_connection_never_probed_is_unknown(probe_world):
    w = probe_world
    connection = w.connect(w.cluster, w.message_secure)
    store = TrustedStore.objects.get(name="Genesys CA")
    preview = store_impact(store, [])
    assert [(r.seen.connection_id, r.reason) for r in preview.impact.unknown] == [(connection.pk, NOT_PROBED)]
    assert not preview.impact.lost


def test_adding_the_missing_root_gains_trust(probe_world, serve):
    w = probe_world
    store = TrustedStore.objects.get(name="Genesys CA")
    store_save(store=store, certificates=[w.cert("other-ca.pem")], password=None, actor="tests")
    with serve("trusted") as port:
        connection = listening_on(w, port)
        probe_connection(connection_id=connection.pk)
    assert ProbeResult.objects.get(connection=connection).outcome == "untrusted"
    preview = store_impact(TrustedStore.objects.get(pk=store.pk), [w.cert("other-ca.pem"), w.cert("ca.pem")])
    assert [r.seen.connection_id for r in preview.impact.gained] == [connection.pk]
    assert [m.name for m in preview.added] == [str(w.cert("ca.pem"))]


# -- the store form's confirm step --------------------------------------------------------------------


def form_data(store, certificates, **extra):
    return {"name": store.name, "provider": store.provider, "path": store.path, "windows_path": store.windows_path,
            "description": store.description, "certificates": [c.pk for c in certificates],
            "opened_version": store_version(store), "note": "rotate", "_save": "1", **extra}


def members(store):
    return list(StoreEntry.objects.filter(store=store).order_by("position").values_list("certificate_id", flat=True))


def test_the_store_form_shows_the_loss_first_and_saves_on_confirm(client_as, probed):
    w = probed
    officer = client_as("security")
    url = reverse("security:store_edit", args=[w.store_.pk])
    before = members(w.store_)
    data = form_data(w.store_, [w.cert("other-ca.pem")], description="typed by the officer")
    page = officer.post(url, data)
    assert page.status_code == 200 and members(w.store_) == before  # nothing saved yet
    html = page.content.decode()
    assert 'id="impact-lost"' in html and reverse("security:probe_history", args=[w.connection.pk]) in html
    assert "typed by the officer" in html and "Confirm and save" in html
    seen_key = page.context["impact_seen"]
    done = officer.post(url, {**data, "impact_seen": seen_key})
    assert done.status_code == 302 and members(w.store_) == [w.cert("other-ca.pem").pk]


def test_a_change_of_choice_after_the_preview_needs_a_new_one(client_as, probed):
    w = probed
    officer = client_as("security")
    url = reverse("security:store_edit", args=[w.store_.pk])
    first = officer.post(url, form_data(w.store_, [w.cert("other-ca.pem")]))
    again = officer.post(url, {**form_data(w.store_, []), "impact_seen": first.context["impact_seen"]})
    assert again.status_code == 200 and again.context["preview"] is not None
    assert members(w.store_) == [w.cert("ca.pem").pk, w.cert("other-ca.pem").pk]


def test_a_stale_version_is_still_refused_after_the_preview(client_as, probed):
    w = probed
    officer = client_as("security")
    url = reverse("security:store_edit", args=[w.store_.pk])
    data = form_data(w.store_, [w.cert("other-ca.pem")])
    page = officer.post(url, data)
    store_save(store=TrustedStore.objects.get(pk=w.store_.pk), certificates=[w.cert("ca.pem")], password=None,
               actor="someone else")
    refused = officer.post(url, {**data, "impact_seen": page.context["impact_seen"]})
    assert refused.status_code == 200 and refused.context["conflict"] is not None
    assert members(w.store_) == [w.cert("ca.pem").pk]


def test_a_typed_jks_password_survives_the_confirm_step_sealed(client_as, probe_world):
    w = probe_world
    store = w.store("Keystore", provider="JKS", certs=("ca.pem", "other-ca.pem"))
    w.security(w.node1, store=store)
    officer = client_as("security")
    url = reverse("security:store_edit", args=[store.pk])
    data = form_data(store, [w.cert("ca.pem")], password="n3w-secret", password_again="n3w-secret")
    page = officer.post(url, data)
    html = page.content.decode()
    assert page.status_code == 200 and "n3w-secret" not in html and 'name="password_sealed"' in html
    confirm = {**data, "password": "", "password_again": "", "impact_seen": page.context["impact_seen"],
               "password_sealed": page.context["sealed_password"]}
    assert officer.post(url, confirm).status_code == 302
    from security.stores import store_password

    assert store_password(TrustedStore.objects.get(pk=store.pk)) == "n3w-secret"


def test_the_revert_and_certificate_delete_pages_show_the_impact(client_as, probed):
    w = probed
    officer = client_as("security")
    store_save(store=w.store_, certificates=[w.cert("other-ca.pem")], password=None, actor="tests")
    first = w.store_.versions.order_by("number").first().number
    page = officer.get(reverse("security:store_revert", args=[w.store_.pk, first]))
    assert page.status_code == 200
    assert [r.seen.connection_id for r in page.context["preview"].impact.gained] == [w.connection.pk]
    cert = w.cert("other-ca.pem")
    page = officer.get(reverse("security:certificate_delete", args=[cert.pk]))
    assert page.status_code == 200 and 'id="store-impact"' in page.content.decode()
    assert [p.store_id for p in page.context["store_previews"]] == [w.store_.pk]


# -- the API's dry run -------------------------------------------------------------------------------


def api_headers(store):
    return {"If-Match": f'"{store_version(store)}"'}


def test_the_api_dry_run_returns_the_same_impact_and_changes_nothing(api, probed):
    w = probed
    api = api("security")
    before_members, events = members(w.store_), AuditEvent.objects.count()
    body = {"certificates": [w.cert("other-ca.pem").pk]}
    for answer in (api.post(reverse("api:store-preview", args=[w.store_.pk]), body,
                            **api_headers(w.store_)),
                   api.patch(reverse("api:store-detail", args=[w.store_.pk]) + "?dry_run=1", body,
                             **api_headers(w.store_))):
        assert answer.status_code == 200, answer.content
        data = answer.json()
        expected = json.loads(json.dumps(store_impact(w.store_, [w.cert("other-ca.pem")]).as_json()))
        assert data["dry_run"] is True and {k: data[k] for k in expected} == expected
        assert [r["connection"] for r in data["lost"]] == [w.connection.pk]
    assert members(w.store_) == before_members and AuditEvent.objects.count() == events


def test_the_api_dry_run_needs_the_officer_and_a_current_version(api, probed):
    w = probed
    url = reverse("api:store-preview", args=[w.store_.pk])
    assert api("viewer").post(url, {"certificates": []}, **api_headers(w.store_)).status_code == 403
    assert api("operator").post(url, {"certificates": []},
                                   **api_headers(w.store_)).status_code == 403
    stale = {"If-Match": '"not-the-version"'}
    assert api("security").post(url, {"certificates": []}, **stale).status_code == 412


def test_the_confirm_step_is_the_officers(client_as, probed):
    w = probed
    url = reverse("security:store_edit", args=[w.store_.pk])
    data = form_data(w.store_, [w.cert("other-ca.pem")])
    assert client_as("operator").post(url, data).status_code == 403
    assert members(w.store_) == [w.cert("ca.pem").pk, w.cert("other-ca.pem").pk]
    assert Certificate.objects.count() >= 2


# -- the Security tab switching the store ------------------------------------------------------------


def section_data(store, **extra):
    return {"provider": store.provider if store else "", "store": store.pk if store else "", "typed_path": "",
            "note": "switch", "_save": "1", **extra}


def test_switching_a_node_to_a_store_without_the_root_shows_the_loss_first(client_as, probed):
    from applications.models import Application
    from security.section import section_state

    w = probed
    other = w.store("Other CAs", certs=("other-ca.pem",))
    officer = client_as("security")
    url = reverse("security:section", args=[w.node1.pk])
    revision = Application.objects.get(pk=w.node1.pk).options_revision
    page = officer.post(url, section_data(other, revision=revision))
    assert page.status_code == 200 and section_state(w.node1).store.pk == w.store_.pk  # nothing saved
    preview = page.context["preview"]
    assert [r.seen.connection_id for r in preview.impact.lost] == [w.connection.pk]
    assert [name for _pk, name in preview.impact.lost[0].seen.apps] == ["Cobrowse_Node_1"]  # Node 2 keeps its store
    assert 'id="impact-lost"' in page.content.decode()
    done = officer.post(url, section_data(other, revision=revision, impact_seen=page.context["impact_seen"]))
    assert done.status_code == 302 and section_state(w.node1).store.pk == other.pk


def test_switching_to_a_store_with_the_same_certificates_saves_at_once(client_as, probed):
    from applications.models import Application
    from security.section import section_state

    w = probed
    twin = w.store("Twin CAs", certs=("ca.pem", "other-ca.pem"))
    officer = client_as("security")
    revision = Application.objects.get(pk=w.node1.pk).options_revision
    done = officer.post(reverse("security:section", args=[w.node1.pk]), section_data(twin, revision=revision))
    assert done.status_code == 302 and section_state(w.node1).store.pk == twin.pk


def test_a_stale_section_page_gets_the_conflict_not_a_preview(client_as, probed):
    from applications.models import Application
    from security.section import section_state

    w = probed
    other = w.store("Other CAs", certs=("other-ca.pem",))
    officer = client_as("security")
    revision = Application.objects.get(pk=w.node1.pk).options_revision
    page = officer.post(reverse("security:section", args=[w.node1.pk]), section_data(other, revision=revision - 1))
    assert page.status_code == 200 and page.context["preview"] is None and page.context["conflict"] is not None
    assert section_state(w.node1).store.pk == w.store_.pk


def test_tls_disabled_loses_and_a_typed_path_is_unknown(probed):
    from security.impact import TYPED_UNKNOWN, section_impact

    w = probed
    disabled = section_impact(w.node1, provider="", store=None)
    assert [r.seen.connection_id for r in disabled.impact.lost] == [w.connection.pk] and disabled.after == []
    typed = section_impact(w.node1, provider="PEM", store=None, typed_path="/opt/certs/ca.pem")
    assert [r.reason for r in typed.impact.unknown] == [TYPED_UNKNOWN] and not typed.impact.lost
    assert not typed.after_known
    assert section_impact(w.node1, provider="PEM", store=w.store_) is None  # the same store: nothing changes


def test_each_node_is_judged_with_its_own_hosts_host_name_check(probed):
    """Node 2 on a host of its own whose options ask for the host-name check against another name than the
    server's certificate carries: losing the root loses Node 1's trust; Node 2 never had it."""
    from security.impact import section_impact

    w = probed
    own = w.host("cb-linux-02", OperatingSystem.LINUX, "10.0.1.12")
    w.node2.host = own
    w.node2.save()
    w.host_tls_options(own, tls_target_name_check="host", tls_target_name="elsewhere.example")

    preview = store_impact(w.store_, [w.cert("other-ca.pem")])
    assert [(r.seen.connection_id, r.seen.apps, r.seen.check_host) for r in preview.impact.lost] == [
        (w.connection.pk, ((w.node1.pk, "Cobrowse_Node_1"),), False)]
    unchanged = preview.impact.unchanged
    assert [(r.seen.apps, r.seen.check_host, r.seen.host_name) for r in unchanged] == [
        (((w.node2.pk, "Cobrowse_Node_2"),), True, "elsewhere.example")]
    assert "does not match the host name elsewhere.example" in unchanged[0].before.reason
    # Node 2's section switched to TLS disabled: it loses nothing it had.
    assert not section_impact(w.node2, provider="", store=None).impact.lost
    assert section_impact(w.node1, provider="", store=None).impact.lost
