"""The one access table covers every route, and the browser's pages obey it."""

import pytest
from django.urls import resolve

from applications.roles import RANK
from cobrowse_admin.access import PUBLIC, ROUTES, required_role
from tests.api.routes import url_patterns
from tests.conftest import ROLE_USERS

ALL_ROUTES = list(url_patterns())


def test_every_url_pattern_of_the_project_is_in_the_access_table():
    missing = sorted(name for name, _ in ALL_ROUTES if name not in ROUTES)
    assert not missing, f"Add these routes to cobrowse_admin/access.py: {missing}"


def test_the_table_names_no_route_that_does_not_exist():
    names = {name for name, _ in ALL_ROUTES}
    assert not sorted(set(ROUTES) - names)


def test_the_sample_paths_resolve_to_their_routes():
    for name, path in ALL_ROUTES:
        assert resolve(path).view_name == name, path


def test_a_route_missing_from_the_table_is_refused(client_as, settings):
    from cobrowse_admin import access

    client = client_as("admin")
    saved = access.ROUTES.pop("applications:host_list")
    try:
        assert client.get("/hosts/").status_code == 403
    finally:
        access.ROUTES["applications:host_list"] = saved


def allowed(username: str | None, role: str) -> bool:
    if role == PUBLIC:
        return True
    return username is not None and RANK[ROLE_USERS[username]] >= RANK[role]


BROWSER_ROUTES = [(name, path) for name, path in ALL_ROUTES if not name.startswith("api:")
                  and name not in ("logout", "login")]


@pytest.mark.parametrize(("name", "path"), BROWSER_ROUTES, ids=[name for name, _ in BROWSER_ROUTES])
def test_each_browser_page_asks_the_role_the_table_gives(client_as, name, path):
    for username in [None, *ROLE_USERS]:
        client = client_as(username)
        for method in ("get", "post"):
            role = required_role(name, method.upper())
            response = getattr(client, method)(path)
            where = f"{method.upper()} {path} as {username or 'anonymous'} (needs {role})"
            if username is None and role != PUBLIC:
                assert response.status_code == 302 and "/accounts/login/" in response["Location"], where
            elif allowed(username, role):
                assert response.status_code != 403, where
                assert not (response.status_code == 302 and "/accounts/login/" in response["Location"]), where
            else:
                assert response.status_code == 403, where
