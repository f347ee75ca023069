"""The health of applications as another app judges it, shown on lists without importing that app.

``applications`` never imports ``security`` (security reads applications, not the reverse). The
security app registers, when Django is ready, the one function that tells for a page of
applications their TLS readiness and counts (``security.readiness.application_health``); the
application list calls ``health_of``. With nothing registered, lists show no health.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from applications.models import Application


@dataclass(frozen=True)
class Health:
    """``verdict``: "ready", "not ready" or "" when no verdict applies (not a Co-browse application)."""

    verdict: str = ""
    errors: int = 0
    warnings: int = 0
    pending: bool = False


HealthProvider = Callable[[list[Application]], dict[int, Health]]
_provider: HealthProvider | None = None


def register(provider: HealthProvider) -> None:
    global _provider
    _provider = provider


def health_of(apps: Iterable[Application]) -> dict[int, Health]:
    """The health of each application (by id), in a fixed number of queries for a page of them."""
    apps = list(apps)
    if _provider is None or not apps:
        return {}
    return _provider(apps)


NotReadyFilter = Callable[[QuerySet[Application]], QuerySet[Application]]
_not_ready: NotReadyFilter | None = None


def register_not_ready_filter(keep_not_ready: NotReadyFilter) -> None:
    global _not_ready
    _not_ready = keep_not_ready


def only_not_ready(qs: QuerySet[Application]) -> QuerySet[Application]:
    """The applications whose TLS is judged not ready (none when no app judges it)."""
    return _not_ready(qs) if _not_ready is not None else qs.none()
