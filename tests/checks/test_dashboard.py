"""The dashboard's cards: what each counts, read from what the checks stored, and the filtered list it
links to, which holds exactly what was counted. Recent changes: one line per event."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from applications import audit
from applications.models import Application, PendingRestartChange
from security.models import ApplicationCheck, Certificate, ConnectionCheck, Finding
from tests.checks.review_shown import shown_rows
from tests.checks.test_findings_page import estate  # noqa: F401 - the fixture
from tests.checks.test_pages import text


def cards(response) -> dict:
    return {card.key: card for card in response.context["cards"]}


def test_each_card_counts_what_the_checks_stored(client_as, estate):  # noqa: F811
    response = client_as("viewer").get(reverse("dashboard"))
    found = cards(response)

    assert found["findings"].count == Finding.objects.filter(severity="error").count() > 0
    assert found["not-ready"].count == ApplicationCheck.objects.filter(verdict="not ready").count() > 0
    assert found["not-secure"].count == ConnectionCheck.objects.filter(insecure=True).count() == 1
    assert found["certificates"].count == 1  # the expired CA
    assert "1 already expired" in found["certificates"].detail
    assert found["restart"].count == 0
    page = response.content.decode()
    for card in found.values():
        assert f'href="{card.url}"' in page.replace("&amp;", "&")


def test_the_findings_card_leads_to_the_errors(client_as, estate):  # noqa: F811
    viewer = client_as("viewer")
    card = cards(viewer.get(reverse("dashboard")))["findings"]

    rows = viewer.get(card.url).context["rows"]

    assert card.url == reverse("security:findings") + "?severity=error"
    assert len(rows) == card.count and {row.finding.severity for row in rows} == {"error"}


def test_the_not_ready_card_lists_exactly_the_applications_not_tls_ready(client_as, estate):  # noqa: F811
    viewer = client_as("viewer")
    card = cards(viewer.get(reverse("dashboard")))["not-ready"]

    listed = {app.name for app in viewer.get(card.url).context["page"]}

    expected = set(Application.objects.filter(tls_readiness__verdict="not ready").values_list("name", flat=True))
    assert listed == expected and len(listed) == card.count
    assert "Cobrowse_Node_1" in listed and "MessageServer" not in listed


def test_the_restart_card_lists_the_applications_to_restart(client_as, estate):  # noqa: F811
    PendingRestartChange.objects.create(application=estate.node2, section="security", name="provider",
                                        running_value="", new_value="PEM")
    viewer = client_as("viewer")
    card = cards(viewer.get(reverse("dashboard")))["restart"]

    listed = [app.name for app in viewer.get(card.url).context["page"]]

    assert card.count == 1 and listed == ["Cobrowse_Node_2"]


def test_the_certificates_card_lists_the_expired_and_expiring_ones_only(client_as, estate, frozen):  # noqa: F811
    soon = estate.cert("intermediate.pem")
    Certificate.objects.filter(pk=soon.pk).update(not_after=frozen + dt.timedelta(days=10))
    later = estate.cert("other-ca.pem")
    viewer = client_as("viewer")
    card = cards(viewer.get(reverse("dashboard")))["certificates"]

    response = viewer.get(card.url)
    listed = [c.pk for c in response.context["page"]]

    assert card.count == 2 and "within 30 days, 1 already expired" == card.detail
    assert later.pk not in listed and soon.pk in listed and len(listed) == 2
    assert "Only the certificates expired or expiring within 30 days." in text(response)


def test_the_not_secure_card_lists_the_connections_through_a_non_secure_port(client_as, estate):  # noqa: F811
    viewer = client_as("viewer")
    card = cards(viewer.get(reverse("dashboard")))["not-secure"]

    rows = shown_rows(viewer.get(card.url))

    assert [(row.client.name, row.connection.port.port_id) for row in rows] == [("Cobrowse_Cluster", "default")]


def test_the_last_validation_card_says_its_state_and_links_to_it(client_as, estate):  # noqa: F811
    from security import sweeps

    viewer = client_as("viewer")
    assert 'data-card="sweep"' in viewer.get(reverse("dashboard")).content.decode()
    sweep = sweeps.sweep_create(trigger="command", actor="tests")
    sweeps.run_sweep(sweep.pk)

    page = viewer.get(reverse("dashboard")).content.decode()

    card = re.search(r'data-card="sweep".*?</div>\s*</div>\s*</div>', page, re.S).group(0)
    assert ">done<" in card and f'href="{sweep.get_absolute_url()}"' in card


def test_recent_changes_are_one_line_each_with_the_whole_on_hover(client_as, world):
    long_value = "x" * 400
    audit.record(actor="tests", action="update", object_type="option", object_repr="general/banner",
                 changes={"value": ["old", long_value]})
    audit.record(actor="tests", action="update", object_type="host", object_repr="cb-linux-01",
                 changes={"address": ["10.0.0.1", "10.0.0.2"]})

    page = client_as("viewer").get(reverse("dashboard")).content.decode()

    lines = re.findall(r'<li class="event-line[^"]*"[^>]*>.*?</li>', page, re.S)
    assert len(lines) == 2
    assert "address: 10.0.0.1 → 10.0.0.2" in lines[0]
    assert long_value not in lines[1].split("title=")[0] and long_value not in re.sub(r'title="[^"]*"', "", lines[1])
    assert f'title="value: old → {long_value}"' in lines[1]
    assert "…" in lines[1]


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_only_an_operator_gets_the_validate_button(client_as, world, role):
    page = client_as(role).get(reverse("dashboard")).content.decode()

    assert ('action="' + reverse("security:sweep_start") + '"' in page) == (role == "operator")
