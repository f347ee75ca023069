"""Production settings pass Django's deployment checks; pages satisfy the Content-Security-Policy."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def production_env(**extra):
    env = dict(os.environ)
    env.update({
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "test-" + "k" * 60 + "-not-the-dev-key",
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "cobrowse-admin.example.com",
    })
    env.update(extra)
    return env


def manage(*args, env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_the_development_secret_key():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_production_refuses_the_development_encryption_key():
    env = production_env()
    del env["FIELD_ENCRYPTION_KEY"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_production_responses_carry_hsts_secure_cookies_and_csp(settings, client):
    # The flags check --deploy looks at, as the production branch of settings.py sets them.
    env = production_env()
    result = subprocess.run(
        [sys.executable, "-c",
         "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='cobrowse_admin.settings'; django.setup();"
         "from django.conf import settings as s;"
         "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT)"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["True", "True", "31536000", "True"]


@pytest.mark.django_db
def test_every_response_has_a_content_security_policy_without_unsafe_inline(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Frame-Options"] == "DENY"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)


@pytest.mark.django_db
def test_no_page_needs_inline_script_or_style(users, client_as):
    """A strict CSP blocks inline script, event handlers and style attributes: no page may use them."""
    from django.core.management import call_command

    from applications.models import Application, Host

    call_command("seed_demo", verbosity=0)
    client = client_as("admin")
    app = Application.objects.get(name="Cobrowse_Cluster")
    host = Host.objects.first()
    urls = ["/", "/applications/", "/hosts/", f"/hosts/{host.pk}/", "/audit/", "/users/",
            "/security/certificates/", "/security/stores/", "/security/certificates/upload/",
            "/security/stores/new/"]
    for tab in ("", "ports/", "connections/", "options/", "options/edit/", "options/import/", "history/"):
        urls.append(f"/applications/{app.pk}/{tab}")
    node = Application.objects.get(name="Cobrowse_Node_1")
    urls += [f"/applications/{app.pk}/connections/new/", f"/applications/{app.pk}/server-info/edit/",
             f"/applications/{node.pk}/connections/", f"/security/applications/{node.pk}/setenv/",
             f"/hosts/{host.pk}/delete/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), f"inline <script> on {url}"
        assert not INLINE_HANDLER.search(html), f"inline event handler on {url}"
        assert not STYLE_ATTRIBUTE.search(html), f"style attribute on {url}"
