"""What an expiring certificate breaks: the stores holding it, the applications using those stores,
the connections that would fail, each with a link, and the one link that fixes it (upload the renewed
CA into the store). Read from the stores' own ``applications_using`` and the last probes: nothing is
judged here."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from applications.models import Application, AppType, Connection
from security.models import TrustedStore
from security.stores import applications_using


def absolute(path: str) -> str:
    return settings.CONSOLE_BASE_URL.rstrip("/") + path


@dataclass(frozen=True)
class Link:
    text: str
    url: str

    def as_dict(self) -> dict:
        return {"text": self.text, "url": self.url}


@dataclass
class Impact:
    stores: list[Link] = field(default_factory=list)
    applications: list[Link] = field(default_factory=list)
    connections: list[Link] = field(default_factory=list)
    fix: Link | None = None

    def as_dict(self) -> dict:
        return {"stores": [s.as_dict() for s in self.stores],
                "applications": [a.as_dict() for a in self.applications],
                "connections": [c.as_dict() for c in self.connections],
                "fix": self.fix.as_dict() if self.fix else None}

    def lines(self) -> list[str]:
        out = []
        for title, links in (("Trusted stores holding it", self.stores),
                             ("Applications using those stores", self.applications),
                             ("Connections that would fail", self.connections)):
            out.append(f"{title}: " + ("none" if not links else ""))
            out += [f"  - {link.text}: {link.url}" for link in links]
        if self.fix:
            out.append(f"Fix: {self.fix.text}: {self.fix.url}")
        return out


def connection_text(connection: Connection) -> str:
    return f"{connection.client.name} → {connection.port.application.name} ({connection.port.port_id})"


def certificate_impact(*, store_ids: set[int], connection_ids: set[int]) -> Impact:
    """``store_ids``: the stores holding the certificate; ``connection_ids``: the connections whose last
    probe was presented it (its server's chain)."""
    impact = Impact()
    stores = list(TrustedStore.objects.filter(pk__in=store_ids).order_by("name"))
    app_ids: set[int] = set()
    for store in stores:
        impact.stores.append(Link(store.name, absolute(store.get_absolute_url())))
        app_ids.update(applications_using(store))
    apps = list(Application.objects.filter(pk__in=app_ids).order_by("name"))
    impact.applications = [Link(a.name, absolute(a.get_absolute_url())) for a in apps]
    # The TLS connections those applications run: their own, and a Node's Cluster's (R2).
    clients = {a.pk for a in apps} | {a.cluster_id for a in apps
                                      if a.app_type == AppType.COBROWSE_NODE and a.cluster_id}
    failing = Connection.objects.filter(port__secured=True, client_id__in=clients) | Connection.objects.filter(
        pk__in=connection_ids)
    for connection in failing.select_related("client", "port__application").order_by("client__name", "pk").distinct():
        impact.connections.append(Link(connection_text(connection), absolute(connection.get_absolute_url())))
    upload = reverse("security:certificate_upload")
    if len(stores) == 1:
        impact.fix = Link(f"Upload the renewed CA into {stores[0].name}",
                          absolute(f"{upload}?{urlencode({'store': stores[0].pk})}"))
    else:
        impact.fix = Link("Upload the renewed CA", absolute(upload))
    return impact
