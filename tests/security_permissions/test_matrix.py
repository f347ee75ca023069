"""The permission matrix over ``security.urls``: every route × anonymous/Viewer/Operator/Security
officer/Administrator × GET/POST, downloads included, with real objects behind every id.

Same approach as ``tests/foundation/test_permissions.py`` (whose helpers decide and check the
outcome): the routes are read from the URLconf, so a new security page that is not in ``ACCESS``
fails ``test_every_security_route_is_in_the_access_table``.
"""

import pytest
from django.urls import URLPattern, URLResolver, reverse

from security import urls as security_urls
from tests.foundation.test_permissions import ROLES, assert_outcome, expected_outcome

VIEWER, OPERATOR, SECURITY = "viewer", "operator", "security"

READ = {"GET": VIEWER}  # pages and downloads any role may read; a POST there is 405
SECURITY_READ = {"GET": SECURITY}  # the store file: what the Co-browse host trusts is the officer's
SECURITY_WRITE = {"GET": SECURITY, "POST": SECURITY}
SECURITY_POST = {"POST": SECURITY}
OPERATOR_POST = {"POST": OPERATOR}
READ_SECURITY_WRITE = {"GET": VIEWER, "POST": SECURITY}  # the Security tab: everyone reads, the officer saves
READ_AND_ASK = {"GET": VIEWER, "POST": VIEWER}  # setenv: any role may have its own file patched (nothing is saved)
VIEWER_POST = {"POST": VIEWER}

ACCESS = {
    # the certificate library (security/urls_library.py)
    "security:certificate_list": READ,
    "security:certificate_upload": SECURITY_WRITE,
    "security:certificate_fetch": SECURITY_WRITE,
    "security:certificate_detail": READ,
    "security:certificate_download": READ,
    "security:certificate_delete": SECURITY_WRITE,
    "security:store_list": READ,
    "security:store_new": SECURITY_WRITE,
    "security:store_detail": READ,
    "security:store_edit": SECURITY_WRITE,
    "security:store_delete": SECURITY_WRITE,
    "security:store_download": SECURITY_READ,
    "security:store_history": READ,
    "security:store_compare": READ,
    "security:store_revert": SECURITY_WRITE,
    # the security section and setenv (security/urls_section.py)
    "security:section": READ_SECURITY_WRITE,
    "security:section_cluster": SECURITY_WRITE,
    "security:setenv": READ_AND_ASK,
    "security:setenv_patched": VIEWER_POST,
    "security:setenv_download": READ,
    # findings, review, sweeps and probes (security/urls_checks.py)
    "security:findings": READ,
    "security:findings_export": READ,
    "security:compliance": READ,
    "security:compliance_export": READ,
    "security:connection_tls": READ,
    "security:port_tls": READ,
    "security:review": READ,
    "security:review_export": READ,
    "security:map": READ,
    "security:probe": SECURITY_POST,
    "security:probe_all": SECURITY_POST,
    "security:probe_history": READ,
    "security:sweep_start": OPERATOR_POST,
    "security:sweep_detail": READ,
    "security:sweep_status": READ,
}


def security_patterns() -> list[URLPattern]:
    """Every route of ``security.urls``, through the per-feature modules it includes."""
    found = []

    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns)
            else:
                found.append(p)

    walk(security_urls.urlpatterns)
    return found


def security_route_names() -> list[str]:
    return [f"{security_urls.app_name}:{p.name}" for p in security_patterns()]


def urls_for(name: str, env) -> list[str]:
    """The URLs of a route with real ids; a download route gives one URL per format."""
    base = env.base
    node, cluster = base.node, base.cluster
    short = name.split(":")[1]
    if short == "certificate_download":
        return [reverse(name, kwargs={"pk": env.certificate.pk, "fmt": fmt}) for fmt in ("pem", "der")]
    if short == "setenv_download":
        # The file of the host's operating system: setenv.sh for a Linux host, setenv.bat for Windows.
        kind = "bat" if node.host.is_windows else "sh"
        return [reverse(name, kwargs={"pk": node.pk, "kind": kind})]
    kwargs = {
        "certificate_detail": {"pk": env.certificate.pk},
        "certificate_delete": {"pk": env.certificate.pk},
        "store_detail": {"pk": env.store.pk},
        "store_edit": {"pk": env.store.pk},
        "store_delete": {"pk": env.store.pk},
        "store_download": {"pk": env.store.pk},
        "store_history": {"pk": env.store.pk},
        "store_compare": {"pk": env.store.pk},
        "store_revert": {"pk": env.store.pk, "number": 1},
        "section": {"pk": node.pk},
        "section_cluster": {"pk": cluster.pk},
        "setenv": {"pk": node.pk},
        "setenv_patched": {"pk": node.pk},
        "probe": {"pk": env.probe_connection.pk},
        "probe_history": {"pk": env.probe_connection.pk},
        "connection_tls": {"pk": env.probe_connection.pk},
        "port_tls": {"pk": env.probe_connection.port_id},
        "sweep_detail": {"pk": env.sweep.pk},
        "sweep_status": {"pk": env.sweep.pk},
    }.get(short, {})
    return [reverse(name, kwargs=kwargs)]


MATRIX = [
    (name, method, role)
    for name in security_route_names()
    for method in ("GET", "POST")
    for role in ROLES
]


def test_every_security_route_is_in_the_access_table():
    names = security_route_names()
    assert len(names) == len(set(names)), "two security routes share a name"
    assert set(names) - set(ACCESS) == set(), "classify the new route in ACCESS"
    assert set(ACCESS) - set(names) == set(), "ACCESS lists a route that no longer exists"


def test_every_route_with_an_id_gets_a_real_object(security_env):
    for pattern in security_patterns():
        name = f"security:{pattern.name}"
        for url in urls_for(name, security_env):
            assert url.startswith("/security/"), url


@pytest.mark.parametrize(("name", "method", "role"), MATRIX, ids=[f"{n}-{m}-{r or 'anonymous'}" for n, m, r in MATRIX])
def test_each_role_gets_what_the_security_access_table_says(name, method, role, security_env, client_as, committed):
    client = client_as(role)
    expected = expected_outcome(role, method, ACCESS[name])
    for url in urls_for(name, security_env):
        with committed():
            response = client.get(url) if method == "GET" else client.post(url, {})
        assert_outcome(response, expected)
        if expected == "ok" and method == "GET" and name.endswith("download"):
            assert response.status_code == 200
            assert response["Content-Disposition"].startswith("attachment;"), response["Content-Disposition"]


@pytest.mark.parametrize("name", ["security:store_download", "security:certificate_download",
                                  "security:setenv_download", "security:review_export",
                                  "security:findings_export"])
def test_downloads_refused_to_a_role_are_not_served_at_all(name, security_env, client_as):
    """A refused download is a 403 page, never the file behind a status code a script might ignore."""
    client = client_as(VIEWER)
    for url in urls_for(name, security_env):
        response = client.get(url)
        if ACCESS[name]["GET"] == VIEWER:
            assert response.status_code == 200
            continue
        assert response.status_code == 403
        assert "Content-Disposition" not in response
        assert b"BEGIN CERTIFICATE" not in response.content and b"\xfe\xed\xfe\xed" not in response.content


def test_a_user_without_any_role_is_refused_on_every_security_page(security_env, client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password="nobody-pass-123"))
    for name in security_route_names():
        for url in urls_for(name, security_env):
            response = client.get(url)
            assert response.status_code == 403, (url, response.status_code)
