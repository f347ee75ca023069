"""The TLS compliance report: every policy rule, pass / fail per application and overall.

It judges nothing itself: a rule fails for an application exactly when a finding of one of the rule's
codes is stored about the application or about one of its connections (the findings the validation
wrote with ``security.checks.policy``, the same the findings page, its counts, the dashboard and the API
show). A rule switched off in ``TLS_POLICY`` is "off" for everyone, whatever findings an earlier sweep
left. The page, the CSV and ``manage.py compliance_report`` all read ``compliance_report``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

import cobrowse_admin
from applications.models import Application, AppType
from security.checks.policy import POLICY_CODES, RULE_OF_CODE, RULES, PolicySettings, Rule
from security.models import Finding, Sweep, SweepStatus
from security.policy import policy_settings
from security.review import csv_cell

PASS, FAIL, OFF = "pass", "fail", "off"
APP_TYPE_LABELS = dict(AppType.choices)


@dataclass
class RuleResult:
    rule: Rule
    on: bool
    failing_applications: int = 0
    findings: int = 0

    @property
    def outcome(self) -> str:
        return OFF if not self.on else FAIL if self.failing_applications else PASS


@dataclass
class ApplicationRow:
    pk: int
    name: str
    app_type: str
    host: str
    outcomes: list[str] = field(default_factory=list)  # one per rule, in RULES' order

    @property
    def outcome(self) -> str:
        return FAIL if FAIL in self.outcomes else PASS

    @property
    def type_label(self) -> str:
        return APP_TYPE_LABELS.get(self.app_type, self.app_type)


@dataclass
class ComplianceReport:
    generated_at: datetime
    console_version: str
    settings: PolicySettings
    rules: list[RuleResult]
    applications: list[ApplicationRow]
    checks_pending: int
    last_sweep_at: datetime | None

    @property
    def outcome(self) -> str:
        return FAIL if any(r.outcome == FAIL for r in self.rules) else PASS

    @property
    def failing_applications(self) -> int:
        return sum(1 for row in self.applications if row.outcome == FAIL)

    @property
    def signature(self) -> str:
        return f"Co-browse Admin {self.console_version}, {self.generated_at:%Y-%m-%d %H:%M:%S %Z}"


def compliance_report() -> ComplianceReport:
    """The report as the stored findings say now: three queries whatever the size of the estate."""
    config = policy_settings()
    on = {rule.name: config.rule_on(rule) for rule in RULES}
    failing: dict[int, set[str]] = defaultdict(set)
    findings: Counter = Counter()
    rows = (Finding.objects.filter(code__in=POLICY_CODES)
            .annotate(app=Coalesce(F("application_id"), F("connection__client_id")))
            .values_list("code", "app"))
    for code, app_id in rows:
        rule = RULE_OF_CODE[code]
        if not config.on(code) or app_id is None:
            continue
        failing[app_id].add(rule.name)
        findings[rule.name] += 1
    applications = []
    for pk, name, app_type, host in (Application.objects.order_by("name")
                                     .values_list("pk", "name", "app_type", "host__name")):
        applications.append(ApplicationRow(pk, name, app_type, host or "", [
            OFF if not on[rule.name] else FAIL if rule.name in failing.get(pk, ()) else PASS for rule in RULES]))
    results = [RuleResult(rule, on[rule.name], sum(1 for names in failing.values() if rule.name in names),
                          findings[rule.name]) for rule in RULES]
    last_sweep = (Sweep.objects.filter(status=SweepStatus.DONE).order_by("-finished_at")
                  .values_list("finished_at", flat=True).first())
    return ComplianceReport(
        generated_at=timezone.localtime(),
        console_version=cobrowse_admin.__version__,
        settings=config,
        rules=results,
        applications=applications,
        checks_pending=Application.objects.filter(checks_requested_at__isnull=False).count(),
        last_sweep_at=last_sweep,
    )


def csv_rows(report: ComplianceReport) -> list[list[str]]:
    """The report as CSV rows: a heading block (date, signature, overall, settings), one row per rule,
    then one row per application with its outcome per rule."""
    rows = [
        ["TLS compliance report"],
        ["generated", report.generated_at.isoformat(timespec="seconds")],
        ["signed", report.signature],
        ["overall", report.outcome],
        ["minimum protocol", report.settings.min_protocol],
        ["allowed ciphers", " ".join(report.settings.allowed_ciphers)],
        ["checks pending (applications)", str(report.checks_pending)],
        ["last sweep", report.last_sweep_at.isoformat(timespec="seconds") if report.last_sweep_at else "never"],
        [],
        ["rule", "title", "codes", "outcome", "failing applications", "findings"],
    ]
    rows += [[r.rule.name, r.rule.title, " ".join(r.rule.codes), r.outcome, str(r.failing_applications),
              str(r.findings)] for r in report.rules]
    rows += [[], ["application", "type", "host", "outcome", *(rule.name for rule in RULES)]]
    rows += [[row.name, row.type_label, row.host, row.outcome, *row.outcomes] for row in report.applications]
    return [[csv_cell(value) for value in row] for row in rows]
