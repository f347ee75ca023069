"""Every form is protected against cross-site request forgery."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_logged_in_post_without_the_csrf_token_is_refused(users, django_user_model):
    from applications.models import Host

    client = Client(enforce_csrf_checks=True)
    client.force_login(django_user_model.objects.get(username="admin"))
    response = client.post("/hosts/new/", {"name": "h1", "address": "10.0.0.1", "os_type": "linux"})
    assert response.status_code == 403
    assert not Host.objects.filter(name="h1").exists()


def test_the_same_post_with_the_token_from_the_form_is_accepted(users, django_user_model):
    from applications.models import Host

    client = Client(enforce_csrf_checks=True)
    client.force_login(django_user_model.objects.get(username="admin"))
    page = client.get("/hosts/new/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post("/hosts/new/", {"name": "h1", "address": "10.0.0.1", "os_type": "linux",
                                           "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Host.objects.filter(name="h1").exists()


def test_every_post_form_of_the_console_carries_a_csrf_token(users, client_as):
    """Render the pages that hold forms and check each POST form has the hidden token."""
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    client = client_as("admin")
    from applications.models import Application

    app = Application.objects.get(name="Cobrowse_Node_1")
    pages = ["/hosts/new/", "/applications/new/", f"/applications/{app.pk}/",
             f"/applications/{app.pk}/options/edit/", f"/applications/{app.pk}/options/import/",
             f"/applications/{app.pk}/connections/new/", f"/applications/{app.pk}/ports/new/",
             "/security/certificates/upload/", "/security/stores/new/", "/users/new/"]
    checked = 0
    for url in pages:
        html = client.get(url).content.decode()
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", html, re.S | re.I):
            assert "csrfmiddlewaretoken" in form, f"a POST form on {url} has no CSRF token"
            checked += 1
    assert checked >= len(pages)
