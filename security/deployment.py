"""Which security section and trusted store an application actually runs with.

A Node without a section of its own uses its Cluster's (8.5.003+, no SCS: R1); a Cluster's
connections are run by its Nodes, so a probe of a Cluster's connection uses the Nodes' store.
Everything here loads in bulk (a fixed number of queries for any number of applications), so
pages and sweeps can use it for many applications at once.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from applications.models import Application, AppType, Option
from cobrowse_admin import secret_box
from security.checks.application import SectionFacts
from security.checks.verdict import TrustConfig, runner_key
from security.effective_tls import SecurityWorld
from security.models import StoreAssignment, TrustedStore
from security.rules import security_section_placement

SECURITY = "security"


@dataclass(frozen=True)
class SavedSection:
    """The ``security`` section of one application as saved (the password stays encrypted)."""

    app_id: int
    present: bool = False
    provider: str | None = None
    trusted_ca: str = ""
    password_token: str = ""
    # Its options as saved, (name, value) pairs: what the General tab shows of the section.
    options: tuple[tuple[str, str], ...] = ()

    @property
    def facts(self) -> SectionFacts:
        return SectionFacts(self.present, self.provider, self.trusted_ca, bool(self.password_token))

    @property
    def password(self) -> str:
        """The clear password, for opening a keystore in this process only. Never shown or logged."""
        return secret_box.decrypt(self.password_token) if self.password_token else ""

    @property
    def password_digest(self) -> str:
        return secret_box.digest(self.password) if self.password_token else ""


def saved_sections(app_ids: Iterable[int]) -> dict[int, SavedSection]:
    ids = set(app_ids)
    found: dict[int, dict[str, str]] = {i: {} for i in ids}
    # Values, not Option instances: a page of the review reads the sections of hundreds of applications.
    for app_id, name, value in Option.objects.filter(application_id__in=ids, section=SECURITY).values_list(
            "application_id", "name", "value"):
        found[app_id][name] = value
    return sections_of(found)


def sections_of(found: dict[int, dict[str, str]]) -> dict[int, SavedSection]:
    """The saved section of each application from its ``security`` options as read (name: value)."""
    sections = {}
    for app_id, options in found.items():
        provider = options.get("provider")
        trusted = options.get("trusted-ca")
        password = options.get("truststore-password")
        sections[app_id] = SavedSection(
            app_id=app_id,
            present=bool(options),
            provider=provider.strip() if provider is not None else None,
            trusted_ca=trusted.strip() if trusted is not None else "",
            password_token=password or "",
            options=tuple(options.items()),
        )
    return sections


# What a page shows of a store (and compares a probe with): not its password nor its description.
STORE_FIELDS_SHOWN = ("name", "provider", "path", "windows_path", "contents_digest", "last_validated_at",
                      "checks_requested_at")


def stores_for(sections: dict[int, SavedSection], *, shown_only: bool = False) -> dict[int, TrustedStore]:
    """The store chosen for each application in the security form; otherwise the only store whose
    path is its ``trusted-ca`` (absent when unknown or ambiguous). Same answer as
    ``security.stores.store_for_application``, for many applications in two queries."""
    result: dict[int, TrustedStore] = {}
    # Pairs, then each store once: the ten Nodes of a Cluster usually share one store.
    assigned = dict(StoreAssignment.objects.filter(application_id__in_array=sections.keys()).values_list(
        "application_id", "store_id"))
    # Every section's path, the assigned ones' too: an assigned store gone meanwhile falls back on it.
    paths = {s.trusted_ca for s in sections.values() if s.trusted_ca}
    loaded = TrustedStore.objects.only(*STORE_FIELDS_SHOWN) if shown_only else TrustedStore.objects
    # The assigned stores and those named by path in one query (they were two).
    stores: dict[int, TrustedStore] = {}
    if assigned or paths:
        stores = {store.pk: store for store in loaded.filter(
            Q(pk__in_array=set(assigned.values())) | Q(path__in_array=paths)
            | Q(windows_path__in_array=paths))}
    result.update({app_id: stores[store_id] for app_id, store_id in assigned.items() if store_id in stores})
    by_path: dict[str, list[TrustedStore]] = {}
    for store in stores.values():
        for path in store.paths:
            if path in paths:
                by_path.setdefault(path, []).append(store)
    for app_id, section in sections.items():
        if app_id not in result and len(by_path.get(section.trusted_ca, [])) == 1:
            result[app_id] = by_path[section.trusted_ca][0]
    return result


def cluster_may_hold_section(cluster: Application) -> bool:
    return security_section_placement(cluster.app_type, cluster.version, cluster.scs_controlled).allowed


def inherited_section(app: Application, sections: dict[int, SavedSection]) -> SavedSection | None:
    """The Cluster's section a Node without its own uses (R1: 8.5.003+ without SCS), or None."""
    if app.app_type != AppType.COBROWSE_NODE or not app.cluster_id or app.cluster is None:
        return None
    cluster_section = sections.get(app.cluster_id)
    if cluster_section and cluster_section.present and cluster_may_hold_section(app.cluster):
        return cluster_section
    return None


def runs_with(app: Application, sections: dict[int, SavedSection], nodes: list[Application] = ()) -> SavedSection:
    """The section whose store verifies this application's TLS connections.

    ``sections`` must hold the application, its Cluster and (for a Cluster) its ``nodes``.
    """
    own = sections.get(app.pk) or SavedSection(app.pk)
    if own.present:
        return own
    inherited = inherited_section(app, sections)
    if inherited is not None:
        return inherited
    if app.app_type == AppType.COBROWSE_CLUSTER:
        for node in sorted(nodes, key=lambda n: n.name):
            node_section = sections.get(node.pk)
            if node_section and node_section.present:
                return node_section
    return own


@dataclass(frozen=True)
class Runner:
    """An application that runs a connection (the client, or one Node of a Cluster client), with the
    section and store it runs the connection with."""

    app: Application
    section: SavedSection
    section_from: Application | None  # the Cluster whose section a Node inherits; None: its own
    store: TrustedStore | None

    @property
    def key(self) -> str:
        return runner_key(self.app.pk)

    @property
    def trust(self) -> TrustConfig:
        """What a probe made for this application records and is compared with."""
        provider = (self.section.provider or "") if self.section.present else ""
        store = self.store
        return TrustConfig(provider=provider, store_id=store.pk if store else None,
                           store_name=store.name if store else "", store_digest=store_digest(store))


def store_digest(store: TrustedStore | None) -> str:
    if store is None:
        return ""
    if store.contents_digest:
        return store.contents_digest
    from security.stores import contents_digest

    return contents_digest(list(store.entries.values_list("certificate__fingerprint_sha256", flat=True)))


# What judging a Node needs (validation); a page needs its name only (``ShownNode``).
RUNNER_FIELDS = ("name", "app_type", "version", "cluster_id", "scs_controlled", "host__os_type")


@dataclass
class ShownNode:
    """A Node as a page shows it with its section and store: a row, not a model (a page of the review
    shows the ten Nodes of each of fifty Clusters). What ``runs_with`` reads of an application."""

    pk: int
    name: str
    cluster_id: int
    cluster: Application
    app_type: str = AppType.COBROWSE_NODE


def runners_for(clients: Iterable[Application], *, for_checks: bool = False,
                world: SecurityWorld | None = None) -> dict[int, list[Runner]]:
    """For each client, the applications that run its connections: a Cluster's Nodes (by name), or the
    client itself. In a fixed number of queries for any number of clients; each client needs its
    ``cluster`` joined (a Node inherits its Cluster's section). A page gives the ``world`` of the clients
    (``security.effective_tls``) when it has read it for their effective TLS: the Nodes and sections are
    taken from it, and only the stores are read."""
    clients = {c.pk: c for c in clients}
    if world is not None and (for_checks or not world.knows(clients)):
        world = None  # the checks judge Nodes as models; a world without these clients would not know them
    cluster_ids = [pk for pk, app in clients.items() if app.app_type == AppType.COBROWSE_CLUSTER]
    nodes_of: dict[int, list] = {pk: [] for pk in cluster_ids}
    if world is not None:
        for pk in cluster_ids:
            nodes_of[pk] = [ShownNode(node.pk, node.name, pk, clients[pk]) for node in world.nodes.get(pk, [])]
    elif for_checks and cluster_ids:
        nodes = Application.objects.filter(cluster_id__in=cluster_ids).order_by("name")
        for node in nodes.select_related("host").only(*RUNNER_FIELDS):
            node.cluster = clients[node.cluster_id]  # already loaded: no query per Node
            nodes_of[node.cluster_id].append(node)
    elif not for_checks and clients:
        # A page asks for the Nodes of every client, not only of its Clusters (only they have Nodes): a
        # page without a Cluster costs the same queries as a page with some.
        nodes = Application.objects.filter(cluster_id__in=list(clients)).order_by("name")
        for pk, name, cluster_id in nodes.values_list("pk", "name", "cluster_id"):
            if cluster_id in nodes_of:
                nodes_of[cluster_id].append(ShownNode(pk, name, cluster_id, clients[cluster_id]))
    apps_of = {pk: nodes_of.get(pk) or [app] for pk, app in clients.items()}
    ids = {a.pk for apps in apps_of.values() for a in apps} | {a.cluster_id for apps in apps_of.values()
                                                                 for a in apps if a.cluster_id}
    sections = (sections_of({pk: world.options.get(pk, {}) for pk in ids}) if world is not None
                else saved_sections(ids))
    effective = {a.pk: runs_with(a, sections) for apps in apps_of.values() for a in apps}
    stores = stores_for({s.app_id: s for s in effective.values() if s.present}, shown_only=not for_checks)
    result = {}
    for client_pk, apps in apps_of.items():
        result[client_pk] = [
            Runner(app=a, section=effective[a.pk],
                   section_from=a.cluster if effective[a.pk].app_id != a.pk else None,
                   store=stores.get(effective[a.pk].app_id) if effective[a.pk].present else None)
            for a in apps
        ]
    return result
