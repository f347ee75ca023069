"""Effective TLS: every TLS parameter of a connection or a port as Genesys resolves it, with where it
came from and what it overrode.

The ONE place that knows the order (the Platform SDK's): for a **client** connection, the
Connection's transport parameters, then the client Application's ``security`` options, then its
Host's ``security`` options, then the target server's Port; for a **server** port, the Port's
transport parameters, then the server Application, then its Host. ``tls`` and ``tls-mutual`` are read
from the Port only: a client connection is secure exactly when it targets a ``tls=1`` port.

For a Co-browse application, the Application level is its Co-browse ``security`` section, placed by
R1 (``security.rules``): a Node's own section, else its Cluster's when the Cluster may hold it; a
Cluster's connections run on its Nodes, so a Cluster client reads the first Node's (by name) section
and host unless ``runner`` names another Node; ``effective_client_tls_pairs`` resolves a connection as
each of its Nodes runs it (each Node may have its own section and its own Host). A section R1 does not
allow (a Cluster under SCS, a Server from 8.5.001) is ignored, as Co-browse ignores it.

An empty value is "not set" (Genesys reads ``trusted-ca=`` as nothing configured): the next level
applies. ``resolve`` is pure; the loaders read the database in a fixed number of queries, however
many connections or ports (``*_many``), so a list of any length costs the same number of queries.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

from django.urls import reverse

from applications.models import COBROWSE_TYPES, Application, AppType, Connection, HostOption, Option, Port
from applications.transport import params_dict
from security.rules import security_section_placement

PARAMETERS = ("tls", "tls-mutual", "provider", "certificate", "certificate-key", "trusted-ca",
              "tls-crl", "tls-target-name-check", "tls-target-name", "cipher-list", "sec-protocol")
# Read from the Port level only.
PORT_ONLY = frozenset({"tls", "tls-mutual"})
LEVELS = ("connection", "application", "host", "port")
LEVEL_LABELS = {"connection": "Connection", "application": "Application", "host": "Host", "port": "Port"}
SECTION = "security"
# What makes a Co-browse security section "set" (``security.section.SectionState.is_set``).
COBROWSE_SECTION_NAMES = ("provider", "trusted-ca", "truststore-password")


@dataclass(frozen=True)
class Source:
    """Where a value was set: the level, the object, and the page where the operator edits it there."""

    level: str  # "connection" | "application" | "host" | "port"
    object_name: str
    # The edit page: its URL, or (URL name, *ids) made into one when first read. A sweep resolves every
    # connection as each runner runs it, four levels each (182,549 links), and reads none of them.
    link: str | tuple = ""

    @property
    def edit_url(self) -> str:
        return self.link if isinstance(self.link, str) else url(*self.link)

    @property
    def label(self) -> str:
        """"Host cb-linux-01"."""
        return f"{LEVEL_LABELS.get(self.level, self.level)} {self.object_name}"


@dataclass(frozen=True)
class EffectiveParameter:
    name: str
    value: str | None  # None: set nowhere
    source: Source | None
    overridden: tuple[tuple[Source, str], ...]  # lower-precedence values it overrode, in order


@dataclass(frozen=True)
class EffectiveTls:
    side: str  # "client" | "server"
    parameters: dict[str, EffectiveParameter]  # every name in PARAMETERS
    # The levels read, highest first (for a page that lists where it looked).
    levels: tuple[Source, ...] = ()

    def value(self, name: str) -> str | None:
        return self.parameters[name].value

    @property
    def secure(self) -> bool:
        return self.value("tls") == "1"

    @property
    def value_mutual(self) -> bool:
        return self.secure and self.value("tls-mutual") == "1"

    @property
    def rows(self) -> list[EffectiveParameter]:
        """The parameters in ``PARAMETERS`` order (for the pages)."""
        return [self.parameters[name] for name in PARAMETERS]

    def as_json(self) -> dict:
        """``{"parameters": {NAME: {"value", "source", "object"}}}`` (the command's and the API's shape)."""
        return {"side": self.side, "parameters": {
            name: {"value": p.value, "source": p.source.level if p.source else None,
                   "object": p.source.object_name if p.source else None,
                   "edit_url": p.source.edit_url if p.source else None,
                   "overridden": [{"value": value, "source": s.level, "object": s.object_name, "edit_url": s.edit_url}
                                  for s, value in p.overridden]}
            for name, p in self.parameters.items()}}


def resolve(levels: Sequence[tuple[Source, Mapping[str, str]]]) -> dict[str, EffectiveParameter]:
    """Each parameter of ``PARAMETERS`` from ``levels`` (highest precedence first): the first level that
    sets it (a non-empty value) wins, the lower ones that set it too are what it overrode. ``tls`` and
    ``tls-mutual`` count only at the Port level. Pure."""
    # Each level's values read once (a level sets a few of the eleven), in precedence order; a parameter
    # set nowhere is the same unset value every time: a page resolves fifty connections.
    found: dict[str, list[tuple[Source, str]]] = {}
    for source, values in levels:
        for name, value in values.items():
            if value and name in PARAMETER_SET and (name not in PORT_ONLY or source.level == "port"):
                found.setdefault(name, []).append((source, value))
    result = {}
    for name in PARAMETERS:
        if name in found:
            (source, value), *rest = found[name]
            result[name] = EffectiveParameter(name, value, source, tuple(rest))
        else:
            result[name] = UNSET[name]
    return result


PARAMETER_SET = frozenset(PARAMETERS)


@functools.lru_cache(maxsize=4096)
def transport_levels(text: str) -> Mapping[str, str]:
    """The TLS parameters among a connection's or port's transport parameters, read-only: a sweep resolves
    tens of thousands of connections through a few hundred distinct texts, each parsed once."""
    return MappingProxyType({k: v for k, v in params_dict(text).items() if k in PARAMETER_SET})
UNSET = {name: EffectiveParameter(name, None, None, ()) for name in PARAMETERS}


# Loading: rows, not objects, in a fixed number of queries.

_MARKERS = (987654321, 987654323)
_url_templates: dict[tuple[str, int], str] = {}


def url(name: str, *ids: int) -> str:
    """``reverse(name, args=ids)`` with the pattern reversed once per name: a page of the review has
    two hundred of these links, and each ``reverse`` cost more than the rest of the resolution."""
    key = (name, len(ids))
    if key not in _url_templates:
        _url_templates[key] = reverse(name, args=_MARKERS[:len(ids)])
    text = _url_templates[key]
    for marker, pk in zip(_MARKERS, ids, strict=False):
        text = text.replace(str(marker), str(int(pk)), 1)
    return text


class _App(NamedTuple):
    """An application as the levels read it (a row: a page reads hundreds, a frozen dataclass was slower)."""

    pk: int
    name: str
    app_type: str
    version: str
    scs_controlled: bool
    cluster_id: int | None
    host_id: int | None
    host_name: str


_APP_FIELDS = ("pk", "name", "app_type", "version", "scs_controlled", "cluster_id", "host_id", "host__name")


def _app(row: tuple) -> _App:
    return _App(*row[:7], row[7] or "")


class SecurityWorld:
    """The applications, their Nodes and Clusters, their ``security`` options and their hosts' the levels
    of some connections or ports need, read once. The review gives the same world to ``runners_for``
    (``security.deployment``), which reads the same Nodes and sections for the verdicts: read twice,
    they were a third of the page."""

    def __init__(self, app_ids: Iterable[int]):
        ids = {pk for pk in app_ids if pk}
        self.asked = frozenset(ids)
        self.apps: dict[int, _App] = {}
        self.nodes: dict[int, list[_App]] = {}
        self.options: dict[int, dict[str, str]] = {}
        if not ids:
            return
        # The applications, the Nodes of any of them and the Cluster of any of them in one query, by name
        # (the order of a Cluster's Nodes): there were three, the last two only on some pages. A union of the
        # three, each read through its index: or-ed in one condition, the planner read the whole table
        # (1.3-1.5 ms at 5,000 applications, growing with them, against 0.4 ms).
        # Each part without the model's ordering: SQLite refuses an ORDER BY inside a compound statement.
        unordered = Application.objects.order_by()
        given = unordered.filter(pk__in_array=ids)
        rows = [_app(row) for row in given.values_list(*_APP_FIELDS).union(
            unordered.filter(cluster_id__in_array=ids).values_list(*_APP_FIELDS),
            # An array, not ``IN (SELECT ...)`` (applications.lookups): the Clusters' ids read first, once.
            unordered.filter(pk__in_array=given.filter(cluster_id__isnull=False).values("cluster_id"))
            .values_list(*_APP_FIELDS),
        ).order_by("name", "pk")]
        self.apps = {app.pk: app for app in rows}
        clusters = {pk for pk in ids if pk in self.apps and self.apps[pk].app_type == AppType.COBROWSE_CLUSTER}
        for app in rows:
            if app.cluster_id in clusters:
                self.nodes.setdefault(app.cluster_id, []).append(app)
        # The whole section (not only the parameters): ``runners_for`` makes its saved sections of it.
        for app_id, name, value in Option.objects.filter(application_id__in_array=self.apps.keys(), section=SECTION,
                                                         ).values_list("application_id", "name", "value"):
            self.options.setdefault(app_id, {})[name] = value

    @classmethod
    def covering(cls, world: SecurityWorld | None, app_ids: Iterable[int]) -> SecurityWorld:
        """``world`` when it was read for all of ``app_ids``, else a world read for them. Asked for, not merely
        present: an application read as another's Node or Cluster has no Nodes of its own in ``nodes``."""
        return world if world is not None and world.knows(app_ids) else cls(app_ids)

    def knows(self, app_ids: Iterable[int]) -> bool:
        return {pk for pk in app_ids if pk} <= self.asked

    @functools.cached_property
    def host_options(self) -> dict[int, dict[str, str]]:
        """Read when a level is first asked for: the verdicts alone never need them."""
        hosts = {a.host_id for a in self.apps.values() if a.host_id}
        found: dict[int, dict[str, str]] = {}
        if hosts:
            for host_id, name, value in HostOption.objects.filter(host_id__in_array=hosts, section=SECTION,
                                                                  name__in_array=PARAMETER_SET).values_list(
                    "host_id", "name", "value"):
                found.setdefault(host_id, {})[name] = value
        return found

    def uses_scs(self, app: _App) -> bool:
        cluster = self.apps.get(app.cluster_id) if app.cluster_id else None
        return app.scs_controlled or bool(cluster and cluster.scs_controlled)

    def may_hold_section(self, app: _App) -> bool:
        if app.app_type not in COBROWSE_TYPES:
            return True  # a Genesys server's own security section
        return security_section_placement(app.app_type, app.version, self.uses_scs(app)).allowed

    def runner(self, app: _App, runner_id: int | None = None) -> _App:
        """The application that runs ``app``'s connections: a Cluster's Nodes (``runner_id`` or the first
        by name), else ``app``."""
        nodes = self.nodes.get(app.pk) if app.app_type == AppType.COBROWSE_CLUSTER else None
        if not nodes:
            return app
        return next((n for n in nodes if n.pk == runner_id), nodes[0])

    def section_owner(self, runner: _App) -> _App | None:
        """Whose ``security`` section ``runner`` runs with (R1): its own, else (a Node) its Cluster's."""
        candidates = [runner] if self.may_hold_section(runner) else []
        cluster = self.apps.get(runner.cluster_id) if runner.app_type == AppType.COBROWSE_NODE else None
        if cluster is not None and self.may_hold_section(cluster):
            candidates.append(cluster)
        for candidate in candidates:
            values = self.options.get(candidate.pk, {})
            if candidate.app_type not in COBROWSE_TYPES or any(values.get(n) for n in COBROWSE_SECTION_NAMES):
                return candidate
        return candidates[0] if candidates else None

    def application_levels(self, app_id: int, runner_id: int | None = None) -> list[tuple[Source, dict]]:
        """The Application and Host levels of an application (through its runner)."""
        app = self.apps.get(app_id)
        if app is None:
            return []
        runner = self.runner(app, runner_id)
        levels = []
        owner = self.section_owner(runner)
        if owner is not None:
            values = {k: v for k, v in self.options.get(owner.pk, {}).items() if k in PARAMETERS}
            link = (("security:section", owner.pk) if owner.app_type in COBROWSE_TYPES
                    else ("applications:options_edit", owner.pk))
            levels.append((Source("application", owner.name, link), values))
        if runner.host_id:
            link = ("applications:host_options", runner.host_id)
            levels.append((Source("host", runner.host_name, link), dict(self.host_options.get(runner.host_id, {}))))
        return levels


def port_source(app_id: int, app_name: str, port_pk: int, port_id: str) -> Source:
    return Source("port", f"{app_name}:{port_id}", ("applications:port_edit", app_id, port_pk))


def connection_source(row: dict) -> Source:
    name = f"{row['client__name']} → {row['port__application__name']}:{row['port__port_id']}"
    return Source("connection", name, ("applications:connection_edit", row["client_id"], row["pk"]))


def _ids(objects) -> list[int]:
    return [o if isinstance(o, int) else o.pk for o in objects]


def _loaded(connection) -> bool:
    return (isinstance(connection, Connection) and Connection.client.is_cached(connection)
            and Connection.port.is_cached(connection) and Port.application.is_cached(connection.port))


def _connection_rows(connections) -> list[dict]:
    """What the levels read of each connection: from the objects when their client and port are joined
    already (a page of the review, loaded through ``with_verdict_data``), else in one query."""
    connections = list(connections)
    if connections and all(_loaded(c) for c in connections):
        return [{"pk": c.pk, "transport_params": c.transport_params, "client_id": c.client_id,
                 "client__name": c.client.name, "port_id": c.port_id, "port__port_id": c.port.port_id,
                 "port__transport_params": c.port.transport_params, "port__application_id": c.port.application_id,
                 "port__application__name": c.port.application.name} for c in connections]
    ids = _ids(connections)
    if not ids:
        return []
    return list(Connection.objects.filter(pk__in=ids).values(
        "pk", "transport_params", "client_id", "client__name", "port_id", "port__port_id", "port__transport_params",
        "port__application_id", "port__application__name"))


def effective_client_tls_pairs(pairs: Iterable[tuple[int, int | None]], *, connections=None,
                               world: SecurityWorld | None = None) -> dict[tuple[int, int | None], EffectiveTls]:
    """The effective TLS of each (connection id, runner id) pair, keyed by the pair, in four queries however
    many pairs: a Cluster client's connection as each of its Nodes runs it (the Node's section and Host).
    A runner that is not one of the client's Nodes (None, or a client that is not a Cluster) reads as
    ``effective_client_tls`` does: the first Node, or the client itself. ``connections``: the objects, when
    the caller has them with their client and port joined (one query fewer); ``world``: their clients read
    already (only the hosts' options are then read)."""
    pairs = list(dict.fromkeys((int(pk), runner) for pk, runner in pairs))
    if not pairs:
        return {}
    wanted = {pk for pk, _ in pairs}
    given = [c for c in connections if (c if isinstance(c, int) else c.pk) in wanted] if connections else wanted
    rows = {row["pk"]: row for row in _connection_rows(given)}
    clients = {row["client_id"] for row in rows.values()}
    world = SecurityWorld.covering(world, clients)
    result = {}
    for pk, runner in pairs:
        row = rows.get(pk)
        if row is None:
            continue
        levels = [(connection_source(row), transport_levels(row["transport_params"])),
                  *world.application_levels(row["client_id"], runner),
                  (port_source(row["port__application_id"], row["port__application__name"], row["port_id"],
                               row["port__port_id"]), transport_levels(row["port__transport_params"]))]
        result[(pk, runner)] = EffectiveTls("client", resolve(levels), tuple(source for source, _ in levels))
    return result


def effective_client_tls_many(connections, *, runners: Mapping[int, int] | None = None,
                              world: SecurityWorld | None = None) -> dict[int, EffectiveTls]:
    """``effective_client_tls`` of each connection (objects or ids), by connection id, in four queries: one
    fewer for objects with their client and port joined, and only the hosts' options with the ``world`` of
    their clients read already. ``runners``: connection id → the Node to read for a Cluster client
    (``effective_client_tls_pairs``)."""
    connections = list(connections)
    runners = runners or {}
    pairs = [(pk, runners.get(pk)) for pk in _ids(connections)]
    found = effective_client_tls_pairs(pairs, connections=connections, world=world)
    return {pk: found[(pk, runner)] for pk, runner in pairs if (pk, runner) in found}


def effective_port_tls_many(ports, *, world: SecurityWorld | None = None) -> dict[int, EffectiveTls]:
    """``effective_port_tls`` of each port (objects or ids), by port id, in four queries; ``world``: their
    applications read already (one query then)."""
    ids = _ids(ports)
    if not ids:
        return {}
    rows = list(Port.objects.filter(pk__in=ids).values("pk", "port_id", "transport_params", "application_id",
                                                       "application__name"))
    owners = {row["application_id"] for row in rows}
    world = SecurityWorld.covering(world, owners)
    result = {}
    for row in rows:
        levels = [(port_source(row["application_id"], row["application__name"], row["pk"], row["port_id"]),
                   transport_levels(row["transport_params"])),
                  *world.application_levels(row["application_id"])]
        result[row["pk"]] = EffectiveTls("server", resolve(levels), tuple(source for source, _ in levels))
    return result


def effective_client_tls(connection, *, runner: int | None = None) -> EffectiveTls:
    """Connection → client Application's security options → client Host's → the target Port.
    ``runner``: for a Cluster client, the Node whose section and host to read (default: the first)."""
    pk = connection if isinstance(connection, int) else connection.pk
    return effective_client_tls_many([pk], runners={pk: runner} if runner else None)[pk]


def effective_port_tls(port) -> EffectiveTls:
    """Port → server Application's security options → server Host's."""
    pk = port if isinstance(port, int) else port.pk
    return effective_port_tls_many([pk])[pk]
