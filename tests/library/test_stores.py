"""Trusted stores through the pages: create, edit, delete, aliases, downloads and who may do what."""

import pytest
from django.urls import reverse

from applications.models import Application, AppType, AuditEvent, Host, OperatingSystem, Option
from security import certificates as cert_service
from security.models import Certificate, Provider, StoreEntry, TrustedStore
from security.stores import store_save
from tests.certs.make_certs import INTERMEDIATE_CN, OTHER_CN, ROOT_CN
from tests.library.conftest import JKS_PASSWORD, certificate, text_of
from tests.opened import version_on

pytestmark = pytest.mark.django_db

NEW_URL = reverse("security:store_new")


def form_data(*certs, **overrides) -> dict:
    data = {"name": "Genesys CA", "provider": Provider.JKS, "path": "/opt/genesys/cobrowse/certs/truststore.jks",
            "description": "", "password": JKS_PASSWORD, "password_again": JKS_PASSWORD,
            "certificates": [c.pk for c in certs], "_save": ""}
    return {**data, **overrides}


def edit_url(store) -> str:
    return reverse("security:store_edit", args=[store.pk])


def post_edit(client, store, data: dict, **kwargs):
    """POST the store's form as a page opened just now does (with the version it carries)."""
    return client.post(edit_url(store), {**data, **version_on(client, edit_url(store))}, **kwargs)


def aliases(store) -> list[tuple[str, str]]:
    return list(store.entries.order_by("position").values_list("alias", "certificate__common_name"))


@pytest.fixture
def cas(officer, import_files):
    """Root, intermediate and another root in the library; the intermediate uploaded first."""
    import_files(officer, "intermediate.crt", "ca.crt", "other-ca.crt")
    return certificate(ROOT_CN), certificate(INTERMEDIATE_CN), certificate(OTHER_CN)


@pytest.fixture
def pem_store(users, cas):
    root, intermediate, _other = cas
    return store_save(store=TrustedStore(name="Genesys CA (PEM)", provider=Provider.PEM,
                                         path="/opt/genesys/cobrowse/certs/certificateCA.pem"),
                      certificates=[root, intermediate], password=None, actor=users["security"])


def test_a_security_officer_creates_a_store_through_the_page(officer, cas):
    root, intermediate, _other = cas

    response = officer.post(NEW_URL, form_data(root, intermediate))

    store = TrustedStore.objects.get(name="Genesys CA")
    assert response.status_code == 302 and response["Location"] == store.get_absolute_url()
    assert store.provider == Provider.JKS and store.path == "/opt/genesys/cobrowse/certs/truststore.jks"
    assert store.entries.count() == 2
    assert AuditEvent.objects.filter(object_type="store", action="create", object_id=str(store.pk)).exists()
    html = text_of(officer.get(store.get_absolute_url()))
    assert "Saved the trusted store Genesys CA." in html
    assert "/opt/genesys/cobrowse/certs/truststore.jks" in html


def test_the_first_root_ca_gets_alias_root_and_the_others_unique_aliases(officer, cas):
    root, intermediate, other = cas

    officer.post(NEW_URL, form_data(intermediate, other, root))

    assert aliases(TrustedStore.objects.get()) == [
        ("root", ROOT_CN),
        ("unrelated-test-ca", OTHER_CN),
        ("co-browse-test-intermediate-ca", INTERMEDIATE_CN),
    ]


def test_the_store_page_shows_the_aliases_of_a_jks_store(officer, cas):
    root, intermediate, _other = cas
    officer.post(NEW_URL, form_data(root, intermediate))

    html = text_of(officer.get(TrustedStore.objects.get().get_absolute_url()))

    assert '<td class="mono">root</td>' in html
    assert '<td class="mono">co-browse-test-intermediate-ca</td>' in html


def test_adding_a_certificate_keeps_root_on_the_first(officer, cas):
    root, intermediate, other = cas
    officer.post(NEW_URL, form_data(root))
    store = TrustedStore.objects.get()

    response = post_edit(officer, store, form_data(root, intermediate, other, password="", password_again=""))

    assert response.status_code == 302
    assert aliases(store)[0] == ("root", ROOT_CN)
    assert {alias for alias, _cn in aliases(store)} == {"root", "co-browse-test-intermediate-ca", "unrelated-test-ca"}


def test_removing_a_certificate_keeps_root_on_the_first(officer, cas):
    root, intermediate, other = cas
    officer.post(NEW_URL, form_data(root, intermediate, other))
    store = TrustedStore.objects.get()

    post_edit(officer, store, form_data(root, other, password="", password_again=""))

    assert aliases(store) == [("root", ROOT_CN), ("unrelated-test-ca", OTHER_CN)]
    assert Certificate.objects.filter(pk=intermediate.pk).exists(), "removed from the store, kept in the library"


def test_editing_a_store_records_what_changed(officer, pem_store):
    response = post_edit(officer, pem_store, form_data(
        *Certificate.objects.filter(common_name=ROOT_CN), name="Genesys CA (PEM)", provider=Provider.PEM,
        path="/opt/genesys/cobrowse/certs/ca.pem", password="", password_again=""))

    assert response.status_code == 302
    pem_store.refresh_from_db()
    assert pem_store.path == "/opt/genesys/cobrowse/certs/ca.pem"
    event = AuditEvent.objects.filter(object_type="store", action="update").latest("id")
    assert event.changes == {"path": ["/opt/genesys/cobrowse/certs/certificateCA.pem",
                                      "/opt/genesys/cobrowse/certs/ca.pem"], "certificates": [2, 1],
                             "removed": [INTERMEDIATE_CN, None]}


def test_the_apply_button_stays_on_the_form(officer, pem_store):
    data = form_data(*pem_store.certificates.all(), name=pem_store.name, provider=Provider.PEM, path=pem_store.path,
                     password="", password_again="", _apply="")
    del data["_save"]

    response = post_edit(officer, pem_store, data)

    assert response.status_code == 302 and response["Location"] == edit_url(pem_store)


def test_the_certificate_choices_flag_what_makes_a_poor_trust_anchor(frozen, client_as, import_files):
    import_files(client_as("security"), "ca.pem", "expired-ca.pem", "notyet-ca.pem", "leaf-nonca.pem")

    html = " ".join(text_of(client_as("security").get(NEW_URL)).split())

    def short(cn: str) -> str:  # the fingerprint tells apart two certificates of one name
        return certificate(cn).short_fingerprint

    assert f"{ROOT_CN} — {short(ROOT_CN)} — until 2040-01-01 </label>" in html
    assert f"Co-browse Expired CA — {short('Co-browse Expired CA')} — until 2021-01-01 (expired)" in html
    future = "Co-browse Not Yet Valid CA"
    assert f"{future} — {short(future)} — until 2040-01-01 (not yet valid)" in html
    assert f"Co-browse Test Leaf — {short('Co-browse Test Leaf')} — until 2036-01-01 (not a CA)" in html


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("", "A PEM or JKS store needs the path of its file on the Co-browse hosts"),
        ("certs/ca.jks", "is not a full path: on Linux/Unix it starts with /."),
        ("/opt/genesys/certs/", "ends with /: give the file name too."),
    ],
)
def test_a_file_store_needs_a_full_path_to_a_file(officer, path, message):
    response = officer.post(NEW_URL, form_data(path=path))

    assert response.status_code == 200
    assert message in text_of(response)
    assert not TrustedStore.objects.exists()


def test_a_store_has_a_path_for_windows_hosts_next_to_the_one_for_linux_hosts(officer, cas):
    response = officer.post(NEW_URL, form_data(cas[0], windows_path="C:\\GCTI\\certs\\truststore.jks"))

    assert response.status_code == 302
    store = TrustedStore.objects.get()
    assert store.path == "/opt/genesys/cobrowse/certs/truststore.jks"
    assert store.windows_path == "C:\\GCTI\\certs\\truststore.jks"
    page = text_of(officer.get(store.get_absolute_url()))
    assert "keytool -list -keystore /opt/genesys/cobrowse/certs/truststore.jks" in page
    assert "keytool -list -keystore &quot;C:\\GCTI\\certs\\truststore.jks&quot;" in page


def test_a_windows_only_store_is_fine(officer, cas):
    response = officer.post(NEW_URL, form_data(cas[0], path="", windows_path="\\\\fs01\\certs\\truststore.jks"))

    assert response.status_code == 302
    assert TrustedStore.objects.get().paths == ["\\\\fs01\\certs\\truststore.jks"]


@pytest.mark.parametrize(("field", "path", "message"), [
    ("path", "C:\\GCTI\\certs\\truststore.jks", "This is a Windows path: give it as the path on Windows hosts"),
    ("windows_path", "/opt/genesys/truststore.jks", "This is a Linux/Unix path: give it as the path on Linux/Unix"),
    ("windows_path", 'C:\\GCTI\\trust"store.jks', "Windows allows none of"),
    ("windows_path", "C:\\GCTI\\NUL.jks", "a device name Windows reserves"),
    ("path", "/opt/genesys/trust\\store.jks", "a backslash, which is not a directory separator"),
    ("path", "/opt/genesys/trust\nstore.jks", "control or invisible characters (U+000A LINE FEED)"),
    ("windows_path", "C:\\GCTI\u2028x.jks", "control or invisible characters (U+2028 LINE SEPARATOR)"),
])
def test_a_path_that_does_not_fit_its_operating_system_is_refused_on_its_field(officer, cas, field, path, message):
    data = form_data(cas[0], **{field: path})
    if field == "windows_path":
        data["path"] = ""
    response = officer.post(NEW_URL, data)

    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    assert not TrustedStore.objects.exists()


def test_two_stores_cannot_share_a_name(officer, pem_store):
    response = officer.post(NEW_URL, form_data(name=pem_store.name))

    assert response.status_code == 200
    assert "already exists" in text_of(response)
    assert TrustedStore.objects.count() == 1


def test_deleting_a_store_keeps_its_certificates(officer, pem_store):
    response = officer.get(reverse("security:store_delete", args=[pem_store.pk]))
    assert response.status_code == 200 and "Delete Genesys CA (PEM)?" in text_of(response)

    url = reverse("security:store_delete", args=[pem_store.pk])
    response = officer.post(url, version_on(officer, url), follow=True)

    assert response.status_code == 200
    assert "Deleted the trusted store Genesys CA (PEM)." in text_of(response)
    assert not TrustedStore.objects.exists() and not StoreEntry.objects.exists()
    assert Certificate.objects.count() == 3
    assert AuditEvent.objects.filter(object_type="store", action="delete").exists()


def test_the_delete_page_names_the_applications_using_the_store(officer, pem_store):
    host = Host.objects.create(name="cb-linux-01", address="10.0.1.11", os_type=OperatingSystem.LINUX)
    node = Application.objects.create(name="CB_Node_1", app_type=AppType.COBROWSE_NODE, version="8.5.003.04",
                                      host=host)
    Option.objects.create(application=node, section="security", name="trusted-ca", value=pem_store.path)

    response = officer.get(reverse("security:store_delete", args=[pem_store.pk]))

    assert "CB_Node_1" in text_of(response)


def test_a_certificate_in_a_store_cannot_be_deleted(officer, pem_store):
    root = certificate(ROOT_CN)
    url = reverse("security:certificate_delete", args=[root.pk])

    page = officer.get(url)
    refused = officer.post(url)

    for response in (page, refused):
        assert response.status_code == 200
        html = text_of(response)
        assert "remove it from them first" in html
        assert "It cannot be deleted while these exist." in html
        assert "Genesys CA (PEM)" in html
    assert Certificate.objects.filter(pk=root.pk).exists()
    with pytest.raises(ValueError, match="remove it from the store first"):
        cert_service.certificate_delete(certificate=root, actor=None)


def test_a_certificate_in_no_store_can_be_deleted(officer, pem_store):
    other = certificate(OTHER_CN)

    url = reverse("security:certificate_delete", args=[other.pk])
    response = officer.post(url, version_on(officer, url), follow=True)

    assert f"Deleted the certificate {OTHER_CN}." in text_of(response)
    assert not Certificate.objects.filter(pk=other.pk).exists()
    assert AuditEvent.objects.filter(object_type="certificate", action="delete", object_repr=OTHER_CN).exists()


@pytest.mark.parametrize("username", ["viewer", "operator"])
def test_only_a_security_officer_changes_stores(client_as, pem_store, username):
    client = client_as(username)
    root = certificate(ROOT_CN)

    assert client.get(NEW_URL).status_code == 403
    assert client.post(NEW_URL, form_data(root)).status_code == 403
    assert client.post(edit_url(pem_store), form_data(root)).status_code == 403
    assert client.post(reverse("security:store_delete", args=[pem_store.pk])).status_code == 403
    assert client.post(reverse("security:certificate_delete", args=[root.pk])).status_code == 403
    assert TrustedStore.objects.count() == 1 and Certificate.objects.count() == 3


def test_a_viewer_sees_the_stores_but_not_the_buttons(client_as, pem_store):
    viewer = client_as("viewer")

    assert viewer.get(reverse("security:store_list")).status_code == 200
    html = text_of(viewer.get(pem_store.get_absolute_url()))

    assert "Genesys CA (PEM)" in html
    assert reverse("security:store_download", args=[pem_store.pk]) not in html
    assert edit_url(pem_store) not in html


@pytest.mark.parametrize(("username", "status"), [("viewer", 403), ("operator", 403), ("security", 200),
                                                   ("admin", 200)])
def test_only_a_security_officer_downloads_a_store(client_as, pem_store, username, status):
    response = client_as(username).get(reverse("security:store_download", args=[pem_store.pk]))

    assert response.status_code == status
    if status == 200:
        assert response["Content-Disposition"] == 'attachment; filename="certificateCA.pem"'
        assert response.content.count(b"-----BEGIN CERTIFICATE-----") == 2


def test_an_empty_store_is_not_downloaded_but_explained(officer, users):
    store = store_save(store=TrustedStore(name="Empty", provider=Provider.PEM, path="/opt/cb/empty.pem"),
                       certificates=[], password=None, actor=users["security"])

    response = officer.get(reverse("security:store_download", args=[store.pk]), follow=True)

    assert response.redirect_chain == [(store.get_absolute_url(), 302)]
    assert "This store holds no certificate yet" in text_of(response)


def test_a_jks_store_without_a_password_is_not_built_but_explained(officer, users, cas):
    store = store_save(store=TrustedStore(name="No password", provider=Provider.JKS, path="/opt/cb/k.jks"),
                       certificates=[cas[0]], password=None, actor=users["security"])

    response = officer.get(reverse("security:store_download", args=[store.pk]), follow=True)

    assert response.status_code == 200
    assert "The store cannot be built: a JKS keystore needs a password." in text_of(response)
    assert "not set" in text_of(response)


def test_a_missing_store_is_a_404(officer):
    for name in ("security:store_detail", "security:store_edit", "security:store_download", "security:store_delete"):
        assert officer.get(reverse(name, args=[4711])).status_code == 404


@pytest.mark.parametrize(
    ("name", "provider", "path", "header"),
    [
        ("東京 CA", Provider.MSCAPI, "", "attachment; filename*=utf-8''%E6%9D%B1%E4%BA%AC-CA.cer"),
        ("Quoted", Provider.PEM, '/opt/cb/a "quoted" name.pem', 'attachment; filename="a \\"quoted\\" name.pem"'),
    ],
)
def test_a_download_name_that_is_not_plain_ascii_reaches_the_browser_intact(officer, users, cas, name, provider,
                                                                            path, header):
    store = store_save(store=TrustedStore(name=name, provider=provider, path=path), certificates=[cas[0]],
                       password=None, actor=users["security"])

    response = officer.get(reverse("security:store_download", args=[store.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == header


def test_changing_a_jks_store_password_updates_the_applications_set_from_it(users, client_as):
    from applications.models import Application, AppType, Host, OperatingSystem
    from applications.options import option_value
    from security.models import Provider, TrustedStore
    from security.section import security_section_set
    from security.stores import store_save

    host = Host.objects.create(name="lin", address="10.0.0.9", os_type=OperatingSystem.LINUX)
    node = Application.objects.create(name="Node", app_type=AppType.COBROWSE_NODE, version="8.5.003.04", host=host)
    store = store_save(store=TrustedStore(name="JKS", provider=Provider.JKS, path="/opt/c/t.jks"), certificates=[],
                       password="first-password", actor=users["security"])
    security_section_set(application=node, provider="JKS", store=store, actor=users["security"])
    assert option_value(node, "security", "truststore-password") == "first-password"

    client = client_as("security")
    response = client.post(f"/security/stores/{store.pk}/edit/", {
        **version_on(client, f"/security/stores/{store.pk}/edit/"),
        "name": "JKS", "provider": "JKS", "path": "/opt/c/new.jks", "description": "",
        "password": "second-password", "password_again": "second-password", "_save": "1",
    }, follow=True)
    assert response.status_code == 200
    assert "Updated the security section of Node" in response.content.decode()
    assert option_value(node, "security", "truststore-password") == "second-password"
    assert option_value(node, "security", "trusted-ca") == "/opt/c/new.jks"
