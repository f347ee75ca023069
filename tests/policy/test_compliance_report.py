"""The TLS compliance report: every rule, pass / fail per application and overall, from the stored
findings (the same the findings page shows), as a printable page, a CSV and a command; dated and signed
with the console's version; for every role that sees findings."""

import csv
import io
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.urls import reverse

import cobrowse_admin
from applications.models import AppType
from security.checks.policy import RULES
from security.compliance import compliance_report
from security.models import Finding

pytestmark = [pytest.mark.django_db, pytest.mark.tls_policy]


@pytest.fixture
def estate(world):
    """A Message Server whose secure port has no certificate (it fails server_certificate), a client of it
    that checks host names (passes), and one that does not (fails target_name_check)."""
    good = world.app("StatServer", AppType.OTHER, "8.5.100.01", host=world.core)
    world.tls_options(good, tls_target_name_check="host")
    lax = world.app("UCS", AppType.OTHER, "8.5.100.01", host=world.core)
    for client in (good, lax):
        world.validate(world.connect(client, world.message_secure))
    world.validate(world.message)
    return world, good, lax


def outcomes(report, name):
    row = next(r for r in report.applications if r.name == name)
    return dict(zip((rule.name for rule in RULES), row.outcomes, strict=True)), row.outcome


def test_the_report_reads_the_stored_findings(estate):
    world, good, lax = estate
    report = compliance_report()

    assert report.outcome == "fail"
    server, overall = outcomes(report, "MessageServer")
    assert (server["server_certificate"], overall) == ("fail", "fail")
    lax_rules, lax_overall = outcomes(report, "UCS")
    assert (lax_rules["target_name_check"], lax_overall) == ("fail", "fail")
    good_rules, good_overall = outcomes(report, "StatServer")
    assert good_overall == "pass" and set(good_rules.values()) == {"pass"}
    by_rule = {r.rule.name: r for r in report.rules}
    assert (by_rule["server_certificate"].failing_applications, by_rule["target_name_check"].failing_applications) \
        == (1, 1)
    assert by_rule["mutual_crl"].outcome == "pass"
    assert report.console_version == cobrowse_admin.__version__
    # One verdict: a finding removed from the store is a pass in the report, whatever the rules would say.
    Finding.objects.filter(code="policy.client_no_name_check").delete()
    assert outcomes(compliance_report(), "UCS")[1] == "pass"


def test_a_rule_switched_off_is_off_for_everyone(estate, settings):
    settings.TLS_POLICY = {"disabled": ["server_certificate", "target_name_check"]}
    report = compliance_report()

    assert report.outcome == "pass"
    assert outcomes(report, "MessageServer")[0]["server_certificate"] == "off"
    assert {r.rule.name: r.outcome for r in report.rules}["target_name_check"] == "off"


def test_once_fixed_and_checked_the_report_passes(estate):
    world, good, lax = estate
    world.tls_options(world.message, certificate="/opt/ms/cert.pem")
    world.tls_options(lax, tls_target_name_check="host")
    world.validate(world.message)
    world.validate(lax)

    report = compliance_report()
    assert report.outcome == "pass" and report.failing_applications == 0


def test_the_page_shows_every_rule_dated_and_signed(estate, client_as):
    response = client_as("viewer").get(reverse("security:compliance"))

    assert response.status_code == 200
    html = response.content.decode()
    for rule in RULES:
        assert f'data-rule="{rule.name}"' in html
    assert 'data-application="UCS" data-outcome="fail"' in html
    assert 'data-application="StatServer" data-outcome="pass"' in html
    assert f"by Co-browse Admin {cobrowse_admin.__version__}" in html
    assert "Generated 20" in html
    assert 'href="/static/css/print.css" media="print"' in html
    assert 'class="d-flex gap-2 no-print"' in html
    only_failing = client_as("viewer").get(reverse("security:compliance") + "?failing=1").content.decode()
    assert 'data-application="UCS"' in only_failing and 'data-application="StatServer"' not in only_failing


def test_the_print_stylesheet_hides_the_navigation_and_buttons():
    css = (Path(django_settings.BASE_DIR) / "static" / "css" / "print.css").read_text()
    assert "@media print" in css
    block = css[css.index("@media print"):]
    assert "nav.navbar" in block and ".no-print" in block and "display: none" in block
    assert "thead { display: table-header-group; }" in block


def test_the_csv_has_the_rules_and_every_application(estate, client_as):
    response = client_as("viewer").get(reverse("security:compliance_export"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="tls-compliance-' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["TLS compliance report"]
    assert rows[2][0] == "signed" and cobrowse_admin.__version__ in rows[2][1]
    assert rows[3] == ["overall", "fail"]
    header = rows.index(["application", "type", "host", "outcome", *(rule.name for rule in RULES)])
    apps = {row[0]: row for row in rows[header + 1:]}
    assert apps["UCS"][3] == "fail" and apps["StatServer"][3] == "pass"
    rules = {row[0]: row for row in rows if row and row[0] in {rule.name for rule in RULES}}
    assert rules["server_certificate"][3:5] == ["fail", "1"]


def test_the_command_prints_the_same_csv(estate, client_as):
    out = io.StringIO()
    call_command("compliance_report", "--csv", stdout=out)
    page = client_as("viewer").get(reverse("security:compliance_export")).content.decode()

    def body(text):  # the same but the generation time (a second apart at most)
        return [row for row in csv.reader(io.StringIO(text)) if row[:1] not in (["generated"], ["signed"])]

    assert body(out.getvalue()) == body(page)


def test_the_command_check_fails_when_a_rule_fails(estate):
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("compliance_report", "--check", stdout=out)
    assert exited.value.code == 1
    assert out.getvalue().startswith("TLS compliance: FAIL")


@pytest.mark.parametrize("role", ["viewer", "operator", "security", "admin"])
def test_every_role_that_sees_findings_sees_the_report(db, client_as, role):
    assert client_as(role).get(reverse("security:compliance")).status_code == 200
    assert client_as(role).get(reverse("security:compliance_export")).status_code == 200


def test_anonymous_users_are_sent_to_the_login(client):
    for name in ("security:compliance", "security:compliance_export"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login" in response["Location"]


def test_the_findings_page_and_the_dashboard_link_to_it(db, client_as):
    viewer = client_as("viewer")
    url = reverse("security:compliance")
    assert f'href="{url}"' in viewer.get(reverse("security:findings")).content.decode()
    assert f'href="{url}"' in viewer.get(reverse("dashboard")).content.decode()
