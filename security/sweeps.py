"""Validate everything: every store, then every application with its connections.

A sweep is resumable. Each store, and each chunk of applications, is validated in its own
transaction, which also records its objects as items of the sweep; a sweep started again (the task
redelivered after its worker died) skips the items already done. Stores with the same contents share
one parse through the sweep's cache.
"""

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Count, F, Func, IntegerField, Q, QuerySet, Subquery
from django.utils import timezone

from applications.bulk import analyze_if_changed
from applications.models import Application
from security.models import (
    ApplicationCheck,
    ConnectionCheck,
    Finding,
    FindingCount,
    FindingFacetCount,
    Sweep,
    SweepItem,
    SweepStatus,
    TrustedStore,
)
from security.validation import (
    ValidationCache,
    refresh_all_readiness,
    validate_applications,
    validate_one_application,
    validate_store,
    validate_stores,
)

logger = logging.getLogger(__name__)

KEEP_ITEMS_DAYS = 2
KEEP_SWEEPS_DAYS = 30
# Stores, and applications, validated per transaction: their facts load in a fixed number of queries, and a
# sweep killed half-way redoes at most one chunk.
CHUNK = 50
# What a sweep fills: their planner statistics are brought up to date after its first chunk of applications
# and at its end (``analyze_if_changed``), so that its own reads, the next sweep's and the pages' go through
# the indexes rather than through whole tables the planner still thinks empty.
SWEPT_MODELS = (Finding, FindingCount, FindingFacetCount, ConnectionCheck, ApplicationCheck, SweepItem)


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while one chunk is checked, back on (and collecting as usual) after.

    A chunk allocates hundreds of thousands of objects (rows, models, facts, findings): each allocation
    counts towards the collector's next pass, and its full passes walk every object alive in the worker,
    the ValidationCache and the chunk included. They cost a fifth of the sweep's CPU and found nothing to
    free: what a chunk builds is freed by reference counting when the chunk is done, as long as no model
    instance ends up in a reference cycle (tests/checks/test_sweep_garbage.py says so)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@dataclass(frozen=True)
class ValidationState:
    """The last validation sweep (None before the first) and what waits for its checks: the applications and
    stores saved since their last check (``checks_requested_at``), whose findings may be out of date."""

    sweep: Sweep | None
    pending_applications: int
    pending_stores: int


def count_of(qs: QuerySet) -> Subquery:
    """``qs.count()`` as a subquery (``COUNT`` as a plain function: no ``GROUP BY``)."""
    return Subquery(qs.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n"),
                    output_field=IntegerField())


def validation_state() -> ValidationState:
    """The dashboard's validation card and the review's header, in one query when a sweep exists (the two
    counts as subqueries of the last sweep's row: they were three round trips per page)."""
    applications = Application.objects.filter(checks_requested_at__isnull=False)
    stores = TrustedStore.objects.filter(checks_requested_at__isnull=False)
    latest = Sweep.objects.annotate(pending_applications=count_of(applications),
                                    pending_stores=count_of(stores)).first()
    if latest is None:
        return ValidationState(None, applications.count(), stores.count())
    return ValidationState(latest, latest.pending_applications, latest.pending_stores)


def sweep_create(*, trigger: str, actor=None, task_id: str = "") -> Sweep:
    name = actor.get_username() if getattr(actor, "is_authenticated", False) else (actor or "")
    return Sweep.objects.create(trigger=trigger, requested_by_name=str(name)[:150], task_id=task_id)


def sweep_for_task(task_id: str, trigger: str) -> Sweep:
    """The sweep a (possibly redelivered) beat task runs: the same one every time it is delivered."""
    if task_id:
        existing = Sweep.objects.filter(task_id=task_id).first()
        if existing:
            return existing
    return sweep_create(trigger=trigger, task_id=task_id or "")


def sweep_plan() -> list[str]:
    stores = [f"store:{pk}" for pk in TrustedStore.objects.order_by("pk").values_list("pk", flat=True)]
    apps = [f"application:{pk}" for pk in Application.objects.order_by("pk").values_list("pk", flat=True)]
    return stores + apps


def run_sweep(sweep_id: int, *, progress=None) -> Sweep | None:
    """Run (or resume) a sweep to the end. ``progress(done, total)`` is called after each chunk."""
    sweep = Sweep.objects.filter(pk=sweep_id).first()
    if sweep is None or sweep.finished:
        return sweep
    plan = sweep_plan()
    Sweep.objects.filter(pk=sweep.pk).update(
        status=SweepStatus.RUNNING, total=len(plan), started_at=sweep.started_at or timezone.now())
    done = set(SweepItem.objects.filter(sweep=sweep).values_list("subject", flat=True))
    cache = ValidationCache()
    failures: list[str] = []

    def validate_chunk(kind: str, ids: list[int]) -> None:
        try:
            with collector_paused():
                if kind == "store":
                    validate_stores(store_ids=ids, cache=cache, sweep=sweep)
                else:
                    validate_applications(application_ids=ids, cache=cache, sweep=sweep)
        except DatabaseError:
            raise  # the database went away: the task is retried and resumes here
        except Exception:  # noqa: BLE001 - one broken object must not stop the sweep: find it, one by one
            for pk in ids:
                if kind == "store":
                    attempt(f"store:{pk}", lambda pk=pk: validate_store(store_id=pk, cache=cache, sweep=sweep))
                else:
                    attempt(f"application:{pk}", lambda pk=pk: validate_one_application(
                        application_id=pk, cache=cache, sweep=sweep))
        done.update(f"{kind}:{pk}" for pk in ids)
        if progress:
            progress(len(done), len(plan))

    def attempt(subject: str, validate) -> None:
        try:
            validate()
        except DatabaseError:
            raise
        except Exception as exc:  # noqa: BLE001 - one broken object must not stop the sweep
            logger.exception("Validation of %s failed", subject)
            failures.append(f"{subject}: {exc}")
            SweepItem.objects.get_or_create(sweep=sweep, subject=subject)

    # Every store, then every application, a chunk at a time, skipping what a sweep started before did.
    todo: dict[str, list[int]] = {"store": [], "application": []}
    for subject in plan:
        if subject not in done:
            kind, _, pk = subject.partition(":")
            todo[kind].append(int(pk))
    for kind, ids in todo.items():
        for start in range(0, len(ids), CHUNK):
            validate_chunk(kind, ids[start:start + CHUNK])
            if kind == "application" and start == 0:
                analyze_if_changed(*SWEPT_MODELS)
    # Once, now that every finding is in place, rather than after each chunk (a Node's readiness
    # depends on its Cluster's connections, which another chunk may hold). It reads every application and
    # connection with its findings: the collector paused for it too (nothing it builds is left in a cycle).
    with collector_paused():
        refresh_all_readiness()
    analyze_if_changed(*SWEPT_MODELS)
    if getattr(settings, "TLS_PROBE_IN_SWEEP", False):
        probe_all()
    finished = sweep_finish(sweep, failures)
    logger.info("Sweep #%s done: %d object(s), %d store content(s) checked, %d store file(s) built and read back.",
                sweep.pk, len(plan), cache.parsed, len(cache.files))
    return finished


def probe_all():
    """Every connection through a secure port, probed together (``security.probe.probe_connections``)."""
    from security.probe import probe_connections, probeable_connections

    return probe_connections(list(probeable_connections().values_list("pk", flat=True)))


def finding_counts() -> dict[str, int]:
    counts = Finding.objects.aggregate(errors=Count("pk", filter=Q(severity="error")),
                                       warnings=Count("pk", filter=Q(severity="warning")))
    return {"errors": counts["errors"] or 0, "warnings": counts["warnings"] or 0}


def sweep_finish(sweep: Sweep, failures: list[str]) -> Sweep:
    counts = finding_counts()
    message = ""
    if failures:
        message = f"{len(failures)} object(s) could not be validated: " + "; ".join(failures[:5])
    with transaction.atomic():
        Sweep.objects.filter(pk=sweep.pk).update(
            status=SweepStatus.DONE, finished_at=timezone.now(), error_count=counts["errors"],
            warning_count=counts["warnings"], message=message[:2000])
        prune()
    sweep.refresh_from_db()
    return sweep


def sweep_failed(sweep_id: int, reason: str) -> None:
    Sweep.objects.filter(pk=sweep_id).exclude(status=SweepStatus.DONE).update(
        status=SweepStatus.FAILED, finished_at=timezone.now(), message=reason[:2000])


def prune() -> None:
    now = timezone.now()
    SweepItem.objects.filter(sweep__finished_at__lt=now - timezone.timedelta(days=KEEP_ITEMS_DAYS)).delete()
    Sweep.objects.filter(created_at__lt=now - timezone.timedelta(days=KEEP_SWEEPS_DAYS)).delete()


@dataclass
class SweepProgress:
    sweep: Sweep
    done: int
    total: int
    percent: int = field(init=False)

    def __post_init__(self) -> None:
        self.percent = 100 if self.sweep.status == SweepStatus.DONE else (
            int(self.done * 100 / self.total) if self.total else 0)

    def as_json(self) -> dict:
        s = self.sweep
        return {"id": s.pk, "status": s.status, "done": self.done, "total": self.total, "percent": self.percent,
                "errors": s.error_count, "warnings": s.warning_count, "finished": s.finished,
                "message": s.message}


def sweep_progress(sweep: Sweep, done: int | None = None) -> SweepProgress:
    """``done``: the sweep's items, when a list has counted them already (one query for a page)."""
    if done is None:
        done = SweepItem.objects.filter(sweep=sweep).count()
    return SweepProgress(sweep, min(done, sweep.total) if sweep.total else done, sweep.total)


QUEUE_DOWN = "The task queue (Redis) could not be reached."


def start_sweep(*, actor, trigger: str = "ui") -> tuple[Sweep, bool]:
    """"Validate now": a sweep created and queued. False (and the sweep marked failed) when the
    queue could not be reached; the checks saved meanwhile stay pending."""
    with transaction.atomic():
        sweep = sweep_create(trigger=trigger, actor=actor)
    if enqueue_sweep(sweep):
        return sweep, True
    sweep_failed(sweep.pk, QUEUE_DOWN)
    sweep.refresh_from_db()
    return sweep, False


def enqueue_sweep(sweep: Sweep) -> bool:
    """Queue the sweep after the caller's transaction; False (and a log line) when the queue is down."""
    from security.tasks import validate_everything

    try:
        validate_everything.delay(sweep.pk)
    except Exception as exc:  # noqa: BLE001 - any broker error
        logger.warning("Could not enqueue sweep %s (%s).", sweep.pk, exc)
        return False
    return True


@dataclass
class ObjectSummary:
    kind: str
    name: str
    url: str
    findings: list = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")


def object_url(obj) -> str:
    try:
        return obj.get_absolute_url()
    except Exception:  # noqa: BLE001 - a page another feature provides may not exist (yet)
        return ""


def findings_summary() -> list[ObjectSummary]:
    """Every object with findings, the ones with most errors first."""
    summaries: dict[str, ObjectSummary] = {}
    findings = Finding.objects.select_related(
        "store", "application", "connection__client", "connection__port__application").order_by("severity", "code")
    for finding in findings:
        summary = summaries.get(finding.subject)
        if summary is None:
            if finding.store_id:
                summary = ObjectSummary("store", finding.store.name, object_url(finding.store))
            elif finding.application_id:
                summary = ObjectSummary("application", finding.application.name, object_url(finding.application))
            elif finding.connection_id:
                connection = finding.connection
                summary = ObjectSummary("connection", str(connection), object_url(connection.client))
            else:
                summary = ObjectSummary("object", finding.subject, "")
            summaries[finding.subject] = summary
        summary.findings.append(finding)
    return sorted(summaries.values(), key=lambda s: (-s.errors, -s.warnings, s.kind, s.name))
