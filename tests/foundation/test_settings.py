"""Settings come from the environment; a bad value stops start-up with a message naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
OURS = ("DJANGO_", "DATABASE_", "REDIS_URL", "FIELD_ENCRYPTION_KEY", "ALLOWED_HOSTS", "SESSION_COOKIE_AGE",
        "SECURE_", "AXES_")
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-" + "x" * 30,
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "cobrowse-admin.example.com",
}


def run(args: list[str], **env_vars: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    env.update(env_vars)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def manage_check(**env_vars: str) -> subprocess.CompletedProcess:
    return run(["manage.py", "check"], **env_vars)


def django_setup(**env_vars: str) -> subprocess.CompletedProcess:
    """How gunicorn and celery load the settings (no manage.py around them)."""
    code = "import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'cobrowse_admin.settings'; django.setup()"
    return run(["-c", code], **env_vars)


BAD = [
    ({"DJANGO_DEBUG": "maybe"}, 'DJANGO_DEBUG="maybe" is not a boolean'),
    ({"DJANGO_DEBUG": "2"}, 'DJANGO_DEBUG="2" is not a boolean'),
    ({"DJANGO_DEBUG": "0"}, "DJANGO_SECRET_KEY must be set"),
    ({**PRODUCTION, "DJANGO_SECRET_KEY": "dev-only-insecure-secret-key-do-not-use-in-production"},
     "DJANGO_SECRET_KEY must be set"),
    ({**PRODUCTION, "FIELD_ENCRYPTION_KEY": ""}, "FIELD_ENCRYPTION_KEY must be set"),
    ({**PRODUCTION, "DJANGO_SECRET_KEY": " "}, "DJANGO_SECRET_KEY must be set"),
    ({"FIELD_ENCRYPTION_KEY": "not-a-fernet-key"}, "FIELD_ENCRYPTION_KEY is not a Fernet key"),
    ({"DATABASE_URL": "nonsense://what"}, "DATABASE_URL is not a database URL"),
    ({"SESSION_COOKIE_AGE": "eight hours"}, 'SESSION_COOKIE_AGE="eight hours" is not a whole number'),
]


@pytest.mark.parametrize(("env_vars", "message"), BAD, ids=[m for _, m in BAD])
def test_a_bad_environment_stops_manage_py_with_a_one_line_message(env_vars, message):
    result = manage_check(**env_vars)
    assert result.returncode != 0
    assert f"Configuration error: {message}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("env_vars", "message"), BAD[:3], ids=[m for _, m in BAD[:3]])
def test_a_bad_environment_stops_a_wsgi_or_celery_start_too(env_vars, message):
    result = django_setup(**env_vars)
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {message}" in result.stderr


def test_the_development_defaults_start_without_any_environment():
    result = manage_check()
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_complete_production_environment_starts():
    result = manage_check(**PRODUCTION)
    assert result.returncode == 0, result.stderr
