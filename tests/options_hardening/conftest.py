"""The foundation's environment, the pages' forms as a browser posts them, and a stored truststore password."""

import re

import pytest
from django.urls import reverse

from applications.options import option_set
from tests.foundation.conftest import committed, env  # noqa: F401  (fixtures reused as they are)
from tests.foundation.forms_html import post_form_data

ROLES = ["viewer", "operator", "security", "admin"]
STORED_PASSWORD = "Right-Guess-1"


def editor_url(app, query: str = "") -> str:
    return reverse("applications:options_edit", args=[app.pk]) + (f"?{query}" if query else "")


def import_url(app) -> str:
    return reverse("applications:options_import", args=[app.pk])


def open_editor(client, app, query: str = "") -> dict[str, str]:
    response = client.get(editor_url(app, query))
    assert response.status_code == 200
    return post_form_data(response, containing="TOTAL_FORMS")


def add_row(data: dict[str, str], section: str, name: str, value: str) -> int:
    """Fill the first blank row of the editor's form; returns its index."""
    from tests.foundation.forms_html import blank_row_index

    i = blank_row_index(data)
    data.update({f"form-{i}-section": section, f"form-{i}-name": name, f"form-{i}-value": value})
    return i


def without_tokens(html: str) -> str:
    """The page with its CSRF token taken out (it differs on every response)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken" value=""', html)


@pytest.fixture
def stored_password(env):  # noqa: F811
    """The Node's JKS password, set by a Security officer: what an Operator must not be able to guess."""
    option_set(application=env.node, section="security", name="truststore-password", value=STORED_PASSWORD,
               actor=env.users["security"])
    env.node.refresh_from_db()
    return STORED_PASSWORD
