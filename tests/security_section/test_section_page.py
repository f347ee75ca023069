"""The Security tab: who may change it, Save/Apply, errors on the form, stale edits, restart and audit."""

import pytest
from django.urls import reverse

from applications.models import AuditEvent, Option, PendingRestartChange
from applications.options import option_set
from security.section import security_section_set


def url(app):
    return reverse("security:section", args=[app.pk])


def post(client, app, **data):
    data.setdefault("revision", app.options_revision)
    data.setdefault("_save", "")
    return client.post(url(app), data)


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_viewers_and_operators_cannot_post(env, client_as, role):
    response = post(client_as(role), env.node_a, provider="PEM", store=env.pem.pk)
    assert response.status_code == 403
    assert not Option.objects.filter(application=env.node_a, section="security").exists()


def test_anonymous_users_are_sent_to_the_login_page(env, client_as):
    response = client_as(None).get(url(env.node_a))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", ["security", "admin"])
def test_security_officers_and_administrators_can_save(env, client_as, role):
    response = post(client_as(role), env.node_a, provider="PEM", store=env.pem.pk)
    assert response.status_code == 302 and response["Location"] == env.node_a.get_absolute_url()
    assert Option.objects.get(application=env.node_a, section="security", name="provider").value == "PEM"


def test_apply_stays_on_the_security_page(env, client_as):
    response = post(client_as("security"), env.node_a, provider="PEM", store=env.pem.pk, _apply="")
    assert response["Location"] == url(env.node_a)


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_viewers_see_the_page_read_only(env, client_as, role):
    security_section_set(application=env.node_a, provider="JKS", store=env.jks, actor=env.users["security"])
    page = client_as(role).get(url(env.node_a)).content.decode()
    assert 'id="security-section-form"' not in page
    assert "Read only" in page
    assert "/opt/genesys/certs/truststore.jks" in page
    assert "secret, never shown" in page


def test_a_mismatched_store_is_an_error_on_the_store_field(env, client_as):
    response = post(client_as("security"), env.node_a, provider="PEM", store=env.jks.pk)
    assert response.status_code == 200
    assert "needs a PEM store" in response.context["form"].errors["store"][0]
    assert not Option.objects.filter(application=env.node_a, section="security").exists()


def test_mscapi_on_linux_is_an_error_on_the_provider_field(env, client_as):
    response = post(client_as("security"), env.node_a, provider="MSCAPI")
    assert "Windows certificate store" in response.context["form"].errors["provider"][0]


def test_tls_disabled_ignores_a_store_left_selected(env, client_as):
    security_section_set(application=env.node_a, provider="PEM", store=env.pem, actor=env.users["security"])
    env.node_a.refresh_from_db()
    response = post(client_as("security"), env.node_a, provider="", store=env.pem.pk)
    assert response.status_code == 302
    assert not Option.objects.filter(application=env.node_a, section="security").exists()


def test_a_typed_path_is_saved_with_a_warning(env, client_as):
    client = client_as("security")
    response = post(client, env.node_a, provider="PEM", typed_path="/etc/pki/ca.pem", _apply="")
    page = client.get(response["Location"]).content.decode()
    assert "cannot check" in page
    assert Option.objects.get(application=env.node_a, name="trusted-ca").value == "/etc/pki/ca.pem"


def test_the_form_starts_from_the_current_values(env, client_as):
    security_section_set(application=env.node_a, provider="JKS", store=env.jks, actor=env.users["security"])
    form = client_as("security").get(url(env.node_a)).context["form"]
    assert form.initial == {"provider": "JKS", "store": env.jks.pk}


def test_the_store_options_carry_their_provider_for_the_page_script(env, client_as):
    page = client_as("security").get(url(env.node_a)).content.decode()
    assert f'value="{env.jks.pk}" data-provider="JKS"' in page
    assert "js/security_section.js" in page


def test_a_stale_edit_is_not_saved_and_says_who_changed_what(env, client_as):
    opened_at = env.node_a.options_revision
    option_set(application=env.node_a, section="log", name="verbose", value="debug", actor=env.users["admin"])
    response = post(client_as("security"), env.node_a, provider="PEM", store=env.pem.pk, revision=opened_at)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="stale-edit"' in page and "admin" in page and "[log] verbose" in page
    assert not Option.objects.filter(application=env.node_a, section="security").exists()


def test_saving_flags_restart_required_for_the_three_options(env, client_as, committed):
    with committed():
        post(client_as("security"), env.node_a, provider="JKS", store=env.jks.pk)
    pending = {p.name: p for p in PendingRestartChange.objects.filter(application=env.node_a)}
    assert set(pending) == {"provider", "trusted-ca", "truststore-password"}
    assert all(p.kind == "added" and p.changed_by_name == "security" for p in pending.values())
    assert pending["truststore-password"].new_value == "••••••"
    page = client_as("viewer").get(env.node_a.get_absolute_url()).content.decode()
    assert "restart required" in page


def test_each_option_change_is_audited_with_the_password_masked(env, client_as):
    post(client_as("security"), env.node_a, provider="JKS", store=env.jks.pk)
    events = {e.object_repr: e for e in AuditEvent.objects.filter(application=env.node_a, object_type="option")}
    assert set(events) == {"[security] provider", "[security] trusted-ca", "[security] truststore-password"}
    assert events["[security] truststore-password"].changes == {"value": [None, "(secret changed)"]}
    assert events["[security] provider"].actor_name == "security"
    assert "Genesys CA (JKS)" in events["[security] provider"].message
    assignment = AuditEvent.objects.get(application=env.node_a, object_type="application")
    assert assignment.changes == {"trusted store": [None, "Genesys CA (JKS)"]}


def test_the_general_tab_shows_the_pending_security_options(env, client_as, committed):
    with committed():
        post(client_as("security"), env.node_a, provider="PEM", store=env.pem.pk)
    page = client_as("viewer").get(url(env.node_a)).content.decode()
    assert 'id="security-pending"' in page
