"""Number parameters that are not plain ASCII digits ("²", "①", "١٢") are refused quietly, never a 500."""

import pytest

from applications.numbers import parse_whole_number
from tests.security_section.conftest import env  # noqa: F401  (the R1 environment)

LOOK_ALIKES = ["²", "①", "١٢", "12²", " 12", "1_000", "-1", "1e3", "", "９"]


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_it_reads_no_number_from_look_alike_digits(text):
    assert parse_whole_number(text) is None


def test_it_reads_plain_digits():
    assert parse_whole_number("0") == 0
    assert parse_whole_number("4021") == 4021
    assert parse_whole_number(17) == 17
    assert parse_whole_number(None) is None


@pytest.mark.parametrize("text", ["²", "①", "١٢"])
def test_audit_paging_ignores_look_alike_cursors(client_as, users, text):
    client = client_as("viewer")
    for param in ("before", "after"):
        assert client.get("/audit/", {param: text}).status_code == 200


@pytest.mark.parametrize("text", ["²", "①", "١٢"])
def test_setenv_ignores_a_look_alike_configuration_server_id(client_as, env, text):  # noqa: F811
    response = client_as("viewer").get(f"/security/applications/{env.node_a.pk}/setenv/", {"cs": text})
    assert response.status_code == 200


@pytest.mark.parametrize("text", ["²", "①", "١٢"])
def test_a_look_alike_revision_is_a_stale_edit_not_a_crash(client_as, env, text):  # noqa: F811
    client = client_as("security")
    response = client.post(f"/applications/{env.node_a.pk}/options/edit/", {
        "revision": text, "form-TOTAL_FORMS": "0", "form-INITIAL_FORMS": "0"})
    assert response.status_code == 200
    assert b"stale-edit" in response.content
    response = client.post(f"/security/applications/{env.node_a.pk}/security/",
                           {"revision": text, "provider": "PEM", "store": env.pem.pk})
    assert response.status_code == 200
    assert b"changed by someone else" in response.content


@pytest.mark.parametrize("text", ["²", "①", "١٢"])
def test_look_alike_form_counts_and_node_revisions_are_refused_quietly(client_as, env, text):  # noqa: F811
    client = client_as("security")
    response = client.post(f"/applications/{env.node_a.pk}/options/edit/", {
        "revision": str(env.node_a.options_revision), "form-TOTAL_FORMS": text, "form-INITIAL_FORMS": text})
    assert response.status_code in (200, 302, 400)  # Django's own management form reads "١٢" as 12
    response = client.post(f"/security/applications/{env.cluster.pk}/security/cluster/",
                           {"revisions": f"{env.node_a.pk}:{text}", "provider": "PEM", "store": env.pem.pk})
    assert response.status_code == 200
