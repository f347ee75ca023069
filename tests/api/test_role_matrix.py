"""Every operation of the API's schema × anonymous and each role: refused exactly when the access
table says so (401 without credentials, 403 below the role), as problem+json. A new resource is
covered as soon as it is in the schema."""

import pytest
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator

from applications.roles import RANK
from cobrowse_admin.access import PUBLIC, required_role
from tests.api.routes import url_patterns
from tests.conftest import ROLE_USERS

pytestmark = pytest.mark.django_db


def operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for template, item in schema["paths"].items():
        path = template
        while "{" in path:
            start = path.index("{")
            path = path[:start] + "999999" + path[path.index("}", start) + 1:]
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                yield method.upper(), template, path


OPERATIONS = list(operations())


def test_the_schema_has_every_api_route():
    in_schema = {resolve(path).view_name for _, _, path in OPERATIONS}
    api_routes = {name for name, _ in url_patterns() if name.startswith("api:")} - {"api:schema", "api:docs"}
    assert api_routes <= in_schema


@pytest.mark.parametrize(("method", "template", "path"), OPERATIONS, ids=[f"{m} {t}" for m, t, _ in OPERATIONS])
def test_each_operation_for_each_role(api, method, template, path):
    role = required_role(resolve(path).view_name, method)
    for username in [None, *ROLE_USERS]:
        client = api(username)
        body = {} if method in ("POST", "PUT", "PATCH") else None
        response = client.call(method, path, body, **{"If-Match": '"0000000000000000.0"'})
        where = f"{method} {template} as {username or 'anonymous'} (needs {role})"
        if role == PUBLIC or (username and RANK[ROLE_USERS[username]] >= RANK[role]):
            assert response.status_code not in (401, 403), where
        elif username is None:
            assert response.status_code == 401, where
            assert response["WWW-Authenticate"].startswith("Bearer"), where
        else:
            assert response.status_code == 403, where
            assert role in response.json()["detail"], where
        if response.status_code >= 400:
            assert response["Content-Type"] == "application/problem+json", where
