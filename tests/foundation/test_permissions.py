"""The permission matrix: every URL × anonymous/Viewer/Operator/Security officer/Administrator × GET/POST.

The routes are read from ``applications.urls`` so a new page cannot escape the matrix: a route that
is missing from ``ACCESS`` fails ``test_every_route_is_in_the_access_table``.
"""

import pytest
from django.urls import reverse

from applications import history
from applications import urls as application_urls
from applications.models import AuditEvent

VIEWER, OPERATOR, ADMIN = "viewer", "operator", "admin"
READ = (VIEWER, {"GET"})  # pages: Viewer may GET; a POST there is 405
WRITE = (OPERATOR, {"GET", "POST"})  # forms: Operator may GET and POST
POST_ONLY = (OPERATOR, {"POST"})
ADMIN_READ = (ADMIN, {"GET"})
ADMIN_WRITE = (ADMIN, {"GET", "POST"})
ADMIN_POST = (ADMIN, {"POST"})

ACCESS = {
    "dashboard": READ,
    "applications:host_list": READ,
    "applications:host_new": WRITE,
    "applications:host_detail": READ,
    "applications:host_edit": WRITE,
    "applications:host_delete": WRITE,
    "applications:host_options": WRITE,
    "applications:host_options_export": READ,
    "applications:host_options_import": POST_ONLY,
    "applications:list": READ,
    "applications:new": WRITE,
    "applications:detail": READ,
    "applications:edit": WRITE,
    "applications:clone": WRITE,
    "applications:delete": WRITE,
    "applications:mark_restarted": POST_ONLY,
    "applications:history": READ,
    "applications:history_events": READ,
    "applications:compare": READ,
    "applications:version": READ,
    "applications:revert": WRITE,
    "applications:event_version": READ,
    "applications:ports": READ,
    "applications:server_info_edit": WRITE,
    "applications:port_new": WRITE,
    "applications:port_edit": WRITE,
    "applications:port_delete": WRITE,
    "applications:ports_export": READ,
    "applications:ports_import": WRITE,
    "applications:connections": READ,
    "applications:connection_new": WRITE,
    "applications:connection_edit": WRITE,
    "applications:connection_delete": WRITE,
    "applications:options": READ,
    "applications:options_edit": WRITE,
    "applications:options_export": READ,
    "applications:options_import": WRITE,
    "applications:audit": READ,
    "applications:audit_export": READ,  # whoever reads the audit page may take it away
    "applications:audit_verify": ADMIN_POST,
    "applications:user_list": ADMIN_READ,
    "applications:user_new": ADMIN_WRITE,
    "applications:user_edit": ADMIN_WRITE,
    "applications:user_unlock": (ADMIN, {"POST"}),
}

ROLES = [None, "viewer", "operator", "security", "admin"]
RANK = {None: 0, "viewer": 1, "operator": 2, "security": 3, "admin": 4}


def expected_outcome(role: str | None, method: str, allowed: dict[str, str]) -> str:
    """"login", "403", "405" or "ok" for ``role`` sending ``method`` to a view that lets the role
    ``allowed[method]`` (or a higher one) use that method. The view's own role check, the lowest
    role of ``allowed``, comes before the method check."""
    if role is None:
        return "login"
    if RANK[role] < min(RANK[r] for r in allowed.values()):
        return "403"
    if method not in allowed:
        return "405"
    return "403" if RANK[role] < RANK[allowed[method]] else "ok"


def assert_outcome(response, expected: str) -> None:
    status = response.status_code
    if expected == "login":
        assert status == 302, status
        assert response["Location"].startswith(reverse("login") + "?next="), response["Location"]
    elif expected in ("403", "405"):
        assert status == int(expected), status
    else:
        assert status in (200, 302), status
        if status == 302:
            assert not response["Location"].startswith(reverse("login")), response["Location"]


def application_route_names() -> list[str]:
    return [f"{application_urls.app_name}:{p.name}" for p in application_urls.urlpatterns]


def route_params(name: str) -> list[str]:
    short = name.split(":")[-1]
    pattern = next(p for p in application_urls.urlpatterns if p.name == short) if ":" in name else None
    return list(pattern.pattern.converters) if pattern else []


def url_for(name: str, env) -> str:
    """The URL with real ids: ports of the Message Server, connections of the Cluster, a host, a user,
    else the Cluster application."""
    params = route_params(name)
    if not params:
        return reverse(name)
    if "fmt" in params:
        return reverse(name, kwargs={"fmt": "csv"})
    if "number" in params:  # a version of the Cluster's configuration
        history.baseline(actor="tests")
        return reverse(name, kwargs={"pk": env.cluster.pk, "number": 1})
    if "event_id" in params:
        history.baseline(actor="tests")
        event = AuditEvent.objects.create(actor_name="tests", action="update", object_type="application",
                                          object_id=str(env.cluster.pk), application=env.cluster)
        return reverse(name, kwargs={"event_id": event.pk})
    if "port_pk" in params:
        return reverse(name, kwargs={"pk": env.message.pk, "port_pk": env.message_default.pk})
    if "conn_pk" in params:
        return reverse(name, kwargs={"pk": env.cluster.pk, "conn_pk": env.connection.pk})
    if name.startswith("applications:host_"):
        return reverse(name, kwargs={"pk": env.linux.pk})
    if name.startswith("applications:user_"):
        return reverse(name, kwargs={"pk": env.users["viewer"].pk})
    return reverse(name, kwargs={"pk": env.cluster.pk})


MATRIX = [
    (name, method, role)
    for name in ["dashboard", *application_route_names()]
    for method in ("GET", "POST")
    for role in ROLES
]


def test_every_route_is_in_the_access_table():
    names = set(application_route_names()) | {"dashboard"}
    assert names - set(ACCESS) == set(), "classify the new route in ACCESS"
    assert set(ACCESS) - names == set(), "ACCESS lists a route that no longer exists"


@pytest.mark.parametrize(("name", "method", "role"), MATRIX, ids=[f"{n}-{m}-{r or 'anonymous'}" for n, m, r in MATRIX])
def test_each_role_gets_what_the_access_table_says(name, method, role, env, client_as, committed):
    client = client_as(role)
    url = url_for(name, env)
    min_role, methods = ACCESS[name]
    with committed():
        response = client.get(url) if method == "GET" else client.post(url, {})
    assert_outcome(response, expected_outcome(role, method, {m: min_role for m in methods}))


def test_the_login_page_is_the_only_page_anonymous_users_see(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="password"' in response.content


def test_a_wrong_password_shows_the_login_form_again(client, users):
    response = client.post(reverse("login"), {"username": "viewer", "password": "wrong"})
    assert response.status_code == 200
    assert b'name="password"' in response.content


def test_a_logged_in_user_opening_the_login_page_goes_to_the_dashboard(client_as):
    response = client_as("viewer").get(reverse("login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


def test_logout_is_a_post_and_leads_to_the_login_page(client_as):
    client = client_as("viewer")
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert client.get(reverse("dashboard")).status_code == 302


def test_a_user_without_any_role_is_refused_everywhere(client, env, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password="nobody-pass-123"))
    assert client.get(reverse("dashboard")).status_code == 403
    assert client.get(url_for("applications:detail", env)).status_code == 403
