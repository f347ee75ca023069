"""Errors as problem+json everywhere under /api/; the schema and its local documentation page."""

import pytest

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def assert_problem(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"] and body["detail"]
    return body


def test_djangos_own_404_under_api_is_a_problem(api):
    assert_problem(api("viewer").get("/api/v1/no-such-thing/"), 404)
    assert_problem(api(None).get("/api/nothing"), 404)


def test_a_404_outside_the_api_stays_a_page(client_as):
    response = client_as("viewer").get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_a_missing_object_an_unknown_method_and_a_bad_page_are_problems(api):
    client = api("admin")
    assert_problem(client.get("/api/v1/hosts/999999/"), 404)
    assert_problem(client.post("/api/v1/hosts/999999/"), 405)
    assert_problem(client.get("/api/v1/hosts/?page=99"), 404)
    assert_problem(client.get("/api/v1/hosts/?os_type=beos"), 400)


def test_an_unsupported_media_type_is_a_415(api):
    client = api("operator")
    response = client.client.post("/api/v1/hosts/", data="name=x", content_type="application/x-www-form-urlencoded",
                                  headers=client.headers)
    assert_problem(response, 415)


def test_the_session_needs_csrf_for_writes(users):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(users["operator"])
    assert client.get("/api/v1/hosts/").status_code == 200
    body = assert_problem(client.post("/api/v1/hosts/", data={}, content_type="application/json"), 403)
    assert "CSRF" in body["detail"]


def test_an_unexpected_error_is_a_logged_500_problem_saying_nothing_of_it(api, monkeypatch, caplog):
    from api import hosts

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(hosts.HostViewSet, "list", broken)
    response = api("viewer").get("/api/v1/hosts/")
    body = assert_problem(response, 500)
    assert "secret internals" not in body["detail"]
    assert "secret internals" in caplog.text


def test_the_schema_is_openapi_3_with_problem_responses_and_if_match(api):
    response = api("viewer").get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    patch = schema["paths"]["/api/v1/hosts/{id}/"]["patch"]
    assert any(p["name"] == "If-Match" and p["required"] for p in patch["parameters"])
    assert {"412", "428", "400"} <= set(patch["responses"])
    assert "ETag" in schema["paths"]["/api/v1/hosts/{id}/"]["get"]["responses"]["200"]["headers"]


def test_the_documentation_page_uses_local_files_only(client_as):
    response = client_as("viewer").get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "http://" not in page and "https://" not in page  # no CDN
    script = client_as("viewer").get("/api/v1/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_anonymous_users_get_no_schema(api):
    assert api(None).get("/api/v1/schema/").status_code == 401


def test_the_schema_generates_without_warnings_and_validates(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "bearerToken" in (tmp_path / "schema.yaml").read_text()


def test_asking_for_html_is_a_406_problem(api):
    assert_problem(api("viewer").get("/api/v1/hosts/", Accept="text/html"), 406)


def test_a_body_over_the_limit_is_a_413_problem(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api("operator").post("/api/v1/hosts/", {"name": "x" * 2000})
    assert_problem(response, 413)


@pytest.mark.parametrize("path", [
    "/api/v1/applications/?host=99999999999999999999999",
    "/api/v1/ports/?application=-1",
    "/api/v1/audit-events/?application=1e400",
])
def test_an_id_filter_out_of_range_is_a_400(api, path):
    assert_problem(api("viewer").get(path), 400)


@pytest.mark.parametrize("path", [
    "/api/v1/applications/99999999999999999999999/",
    "/api/v1/applications/99999999999999999999999/options/",
    "/api/v1/applications/1/versions/99999999999999999999999/",
])
def test_an_id_too_large_for_the_database_is_a_404(api, path):
    assert_problem(api("viewer").get(path), 404)
