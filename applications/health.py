"""The health of applications as another app judges it, shown on lists without importing that app.

``applications`` never imports ``security`` (security reads applications, not the reverse). The
security app registers, when Django is ready, what tells for a page of applications their TLS
readiness and counts (``security.readiness.application_health``), for a page of hosts the worst
state of their applications, and the order "worst first" of both lists; the lists call
``health_of``, ``host_health_of`` and ``worst_first``. With nothing registered, lists show no health
and the health columns do not sort.

Every figure comes from what the checks stored when they last ran; nothing here judges.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from applications.models import Application, Host


@dataclass(frozen=True)
class Health:
    """``verdict``: "ready", "not ready" or "" when no verdict applies (not a Co-browse application)."""

    verdict: str = ""
    errors: int = 0
    warnings: int = 0
    pending: bool = False


@dataclass(frozen=True)
class HostHealth:
    """The worst state among a host's applications: ``verdict`` "not ready" when one is, "ready" when
    every one with a verdict is, "" when none has one; ``not_ready`` of the ``judged`` applications
    (those with a verdict) are not ready. Errors are not summed: a Cluster's count its Nodes'."""

    verdict: str = ""
    not_ready: int = 0
    judged: int = 0


HealthProvider = Callable[[list[Application]], dict[int, Health]]
HostHealthProvider = Callable[[list[Host]], dict[int, HostHealth]]
_provider: HealthProvider | None = None
_host_provider: HostHealthProvider | None = None
# "application" / "host": (annotations, order_by terms) that put the worst first.
_worst_first: dict[str, tuple[dict, list]] = {}


def register(provider: HealthProvider, *, hosts: HostHealthProvider | None = None,
             worst_first: dict[str, tuple[dict, list]] | None = None) -> None:
    global _provider, _host_provider
    _provider = provider
    _host_provider = hosts
    _worst_first.clear()
    _worst_first.update(worst_first or {})


def worst_first(kind: str) -> tuple[dict, list]:
    """What lists applications or hosts ("application", "host") worst first: the annotations the order
    needs and the order_by terms; empty when nothing registered one (the column then does not sort)."""
    annotations, order = _worst_first.get(kind, ({}, []))
    return dict(annotations), list(order)


def health_of(apps: Iterable[Application]) -> dict[int, Health]:
    """The health of each application (by id), in a fixed number of queries for a page of them."""
    apps = list(apps)
    if _provider is None or not apps:
        return {}
    return _provider(apps)


def host_health_of(hosts: Iterable[Host]) -> dict[int, HostHealth]:
    """The worst state of each host's applications (by host id), in a fixed number of queries."""
    hosts = list(hosts)
    if _host_provider is None or not hosts:
        return {}
    return _host_provider(hosts)


NotReadyFilter = Callable[[QuerySet[Application]], QuerySet[Application]]
_not_ready: NotReadyFilter | None = None


def register_not_ready_filter(keep_not_ready: NotReadyFilter) -> None:
    global _not_ready
    _not_ready = keep_not_ready


def only_not_ready(qs: QuerySet[Application]) -> QuerySet[Application]:
    """The applications whose TLS is judged not ready (none when no app judges it)."""
    return _not_ready(qs) if _not_ready is not None else qs.none()


# The General tab's security panel, as the security app tells it (``security.readiness
# .application_security_summary``); None when nothing is registered (the panel is not shown).
SecuritySummary = Callable[[Application, list | None], object]
_security_summary: SecuritySummary | None = None


def register_security_summary(summary: SecuritySummary) -> None:
    global _security_summary
    _security_summary = summary


def security_summary(app: Application, nodes: list | None):
    return _security_summary(app, nodes) if _security_summary else None
