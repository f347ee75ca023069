"""The permission matrix over ``help_pages.urls``: every help route × anonymous/Viewer/Operator/Security
officer/Administrator × GET/POST. Help is read by every role and by nobody anonymous; a POST is 405."""

import pytest
from django.urls import reverse

from help_pages import urls as help_urls
from help_pages.topics import TOPICS
from tests.foundation.test_permissions import ROLES, assert_outcome, expected_outcome

READ = {"GET": "viewer"}
ACCESS = {
    "help:index": READ,
    "help:topic": READ,
}


def help_route_names() -> list[str]:
    return [f"{help_urls.app_name}:{p.name}" for p in help_urls.urlpatterns]


def urls_for(name: str) -> list[str]:
    if name == "help:topic":
        return [reverse(name, kwargs={"slug": topic.slug}) for topic in TOPICS]
    return [reverse(name)]


MATRIX = [(name, method, role) for name in help_route_names() for method in ("GET", "POST") for role in ROLES]


def test_every_help_route_is_in_the_access_table():
    names = help_route_names()
    assert set(names) - set(ACCESS) == set(), "classify the new route in ACCESS"
    assert set(ACCESS) - set(names) == set(), "ACCESS lists a route that no longer exists"


@pytest.mark.parametrize(("name", "method", "role"), MATRIX, ids=[f"{n}-{m}-{r or 'anonymous'}" for n, m, r in MATRIX])
def test_each_role_gets_what_the_help_access_table_says(name, method, role, client_as):
    client = client_as(role)
    expected = expected_outcome(role, method, ACCESS[name])
    for url in urls_for(name):
        response = client.get(url) if method == "GET" else client.post(url, {})
        assert_outcome(response, expected)
        if expected == "ok":
            assert response.status_code == 200


def test_an_unknown_topic_is_a_404_page(client_as, users):
    response = client_as("viewer").get(reverse("help:topic", kwargs={"slug": "no-such-topic"}))
    assert response.status_code == 404


def test_a_user_without_any_role_is_refused_help(client, db, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password="nobody-pass-123"))
    for name in help_route_names():
        for url in urls_for(name):
            assert client.get(url).status_code == 403
