"""A host's options, edited on its page: the catalogue's widgets and validation, a refused value kept as
typed, a page opened before someone else saved refused, every change audited, [security] for Security
officers only."""

import pytest
from django.urls import reverse

from applications.host_options import host_options_apply
from applications.models import AuditEvent, HostOption
from applications.options import OptionChange, OptionsInvalid, StaleEdit
from security.effective_tls import effective_client_tls


def page_data(response) -> dict:
    """The values of the form as the page shows them (what a browser would post back)."""
    form = response.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    return data


@pytest.fixture
def url(tls_world):
    return reverse("applications:host_options", args=[tls_world.client_host.pk])


def test_a_security_officer_sets_the_hosts_tls_parameters_and_the_resolver_reads_them(tls_world, client_as, url):
    browser = client_as("security")
    response = browser.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<select name="cat-tls-target-name-check"' in html and '<select name="cat-sec-protocol"' in html
    data = page_data(response)
    data.update({"cat-trusted-ca": "/opt/ca.pem", "cat-tls-target-name-check": "host", "note": "new CA"})
    response = browser.post(url, data)
    assert response.status_code == 302
    assert dict(tls_world.client_host.options.values_list("name", "value")) == {
        "trusted-ca": "/opt/ca.pem", "tls-target-name-check": "host"}
    event = AuditEvent.objects.get(object_type="host_options")
    assert event.changes == {"[security] trusted-ca": [None, "/opt/ca.pem"],
                             "[security] tls-target-name-check": [None, "host"]}
    assert event.message == "new CA" and event.actor_name == "security"
    effective = effective_client_tls(tls_world.connection).parameters["trusted-ca"]
    assert (effective.value, effective.source.label) == ("/opt/ca.pem", "Host cb-linux-01")
    # The host page shows them, with the link to edit them.
    page = browser.get(reverse("applications:host_detail", args=[tls_world.client_host.pk])).content.decode()
    assert "/opt/ca.pem" in page and url in page


def test_an_invalid_value_is_refused_and_comes_back_as_typed(tls_world, client_as, url):
    browser = client_as("security")
    data = page_data(browser.get(url))
    data.update({"cat-trusted-ca": "relative/ca.pem", "cat-sec-protocol": "TLSv1.2",
                 "new-0-section": "log", "new-0-name": "verbose", "new-0-value": "loud"})
    response = browser.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert 'value="relative/ca.pem"' in html
    assert '<option value="TLSv1.2" selected>TLSv1.2 (not a valid value)</option>' in html
    assert "is not a valid value for sec-protocol" in html
    assert 'value="loud"' in html
    assert not HostOption.objects.exists() and not AuditEvent.objects.filter(object_type="host_options").exists()


def test_a_page_opened_before_someone_else_saved_changes_nothing(tls_world, client_as, url, users):
    browser = client_as("security")
    opened = page_data(browser.get(url))
    host_options_apply(host=tls_world.client_host, changes=[OptionChange("security", "trusted-ca", "/opt/theirs.pem")],
                       actor=users["admin"], expected_revision=0)
    opened.update({"cat-trusted-ca": "/opt/mine.pem"})
    response = browser.post(url, opened)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="stale-edit"' in html and "/opt/theirs.pem" in html  # who changed what since
    assert 'value="/opt/mine.pem"' in html  # the operator's entry kept on the page
    assert HostOption.objects.get().value == "/opt/theirs.pem"
    # Reloaded, the save goes through.
    fresh = page_data(browser.get(url))
    fresh["cat-trusted-ca"] = "/opt/mine.pem"
    assert browser.post(url, fresh).status_code == 302
    assert HostOption.objects.get().value == "/opt/mine.pem"


def test_an_operator_edits_other_sections_but_not_security(tls_world, client_as, url):
    browser = client_as("operator")
    data = page_data(browser.get(url))
    data.update({"cat-trusted-ca": "/opt/ca.pem"})
    response = browser.post(url, data)
    assert response.status_code == 200 and "only a Security officer" in response.content.decode()
    data = page_data(browser.get(url))
    data.update({"new-0-section": "log", "new-0-name": "verbose", "new-0-value": "standard"})
    assert browser.post(url, data).status_code == 302
    assert list(HostOption.objects.values_list("section", "name", "value")) == [("log", "verbose", "standard")]
    assert client_as("viewer").get(url).status_code == 403


def test_removing_and_changing_other_options(tls_world, users):
    host = tls_world.client_host
    host_options_apply(host=host, changes=[OptionChange("log", "verbose", "standard"),
                                           OptionChange("log", "all", "stdout")], actor=users["operator"])
    assert host.options_revision == 1
    host_options_apply(host=host, changes=[OptionChange("log", "verbose", None), OptionChange("log", "all", "stderr")],
                       actor=users["operator"], expected_revision=1)
    assert list(host.options.values_list("name", "value")) == [("all", "stderr")]
    with pytest.raises(StaleEdit):
        host_options_apply(host=host, changes=[OptionChange("log", "all", "x")], actor=users["operator"],
                           expected_revision=1)


def test_a_host_holds_no_secrets(tls_world, users):
    with pytest.raises(OptionsInvalid) as refused:
        host_options_apply(host=tls_world.client_host,
                           changes=[OptionChange("security", "truststore-password", "s3cret")], actor=users["security"])
    assert "holds no secrets" in refused.value.summary()
    assert not HostOption.objects.exists()
    assert "s3cret" not in str(list(AuditEvent.objects.values_list("changes", "message")))


def test_host_options_cfg_round_trip(tls_world, client_as, users):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from applications.models import Host

    host = tls_world.client_host
    host_options_apply(host=host, changes=[OptionChange("security", "trusted-ca", "/opt/ca dir/ca.pem"),
                                           OptionChange("security", "cipher-list", "HIGH:!aNULL"),
                                           OptionChange("log", "verbose", "debug")], actor=users["security"])
    browser = client_as("security")
    exported = browser.get(reverse("applications:host_options_export", args=[host.pk]))
    assert exported["Content-Disposition"] == 'attachment; filename="host-cb-linux-01.cfg"'
    text = exported.content
    other = Host.objects.create(name="cb-linux-09", address="10.0.0.9", os_type="linux")
    response = browser.post(reverse("applications:host_options_import", args=[other.pk]),
                            {"file": SimpleUploadedFile("h.cfg", text), "revision": "0"})
    assert response.status_code == 302 and response["Location"] == other.get_absolute_url()
    assert sorted(other.options.values_list("section", "name", "value")) == sorted(
        host.options.values_list("section", "name", "value"))
    assert AuditEvent.objects.filter(object_type="host_options", object_id=str(other.pk),
                                     message__contains="Imported from h.cfg").exists()
    # A bad value in a file: nothing imported, the line named; a stale page: nothing imported.
    bad = b"[security]\nsec-protocol = TLSv9\ntrusted-ca = /opt/new.pem\n"
    response = browser.post(reverse("applications:host_options_import", args=[other.pk]),
                            {"file": SimpleUploadedFile("bad.cfg", bad), "revision": "1"}, follow=True)
    assert "line 2: [security] sec-protocol" in response.content.decode()
    assert other.options.get(name="trusted-ca").value == "/opt/ca dir/ca.pem"
    good = b"[security]\ntrusted-ca = /opt/new.pem\n"
    response = browser.post(reverse("applications:host_options_import", args=[other.pk]),
                            {"file": SimpleUploadedFile("good.cfg", good), "revision": "0"}, follow=True)
    assert "changed since you opened this page" in response.content.decode()
    assert other.options.get(name="trusted-ca").value == "/opt/ca dir/ca.pem"
