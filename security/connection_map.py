"""The connection map: applications (grouped by Cluster or by host) and their connections as one picture.

``load_map`` reads what the picture shows in a fixed number of queries, whatever the size of the
environment: the applications the filter keeps, every connection to or from them, and each
connection's verdict, which is ``security.verdicts``' (the same ``verdict_of`` over the same stored
findings as the connection review, its CSV and the readiness panels: the map judges nothing itself).

``map_dot`` writes the picture in Graphviz's language, ``render_svg`` lays it out with the
``graphviz-pure`` program (a pip-installed ``dot``: no system package) and ``clean_svg`` re-reads
its output as XML and writes back only the SVG elements and attributes a map uses, so the markup put
inline into the page is well formed and escaped whatever the names hold, and carries no script,
style or event attribute (the page's Content Security Policy allows neither).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q

from applications.links import url_for_ids
from applications.models import Application, AppType, Connection, Port
from security.checks.verdict import NOT_READY, NOT_SECURE, READY, UNCHECKED, VERDICT_LABELS, Verdict
from security.verdicts import connection_views, with_verdict_data

GROUP_BY_CLUSTER = "cluster"
GROUP_BY_HOST = "host"

# The four verdicts as the legend explains them (the label is the review's own word, VERDICT_LABELS).
VERDICT_ORDER = (READY, NOT_READY, NOT_SECURE, UNCHECKED)
VERDICT_MEANINGS = {
    READY: "TLS, and trusted: the checks found no error",
    NOT_READY: "TLS, but failing: an error decides it will not work",
    NOT_SECURE: "not secure: the port does not speak TLS",
    UNCHECKED: "unknown: not validated yet",
}
# Colour and line of each verdict's edges: never the colour alone (dashes and dots tell them apart in
# grey too); the colours are Bootstrap's, as the review's badges.
EDGE_STYLES = {
    READY: ("#198754", "solid", 1.2),
    NOT_READY: ("#dc3545", "bold", 2.2),
    NOT_SECURE: ("#b07d00", "dashed", 1.4),
    UNCHECKED: ("#6c757d", "dotted", 1.4),
}
TYPE_SHORT = {
    AppType.COBROWSE_SERVER: "Co-browse Server",
    AppType.COBROWSE_NODE: "Node",
    AppType.COBROWSE_CLUSTER: "Cluster",
    AppType.CONFIG_SERVER: "Config Server",
    AppType.MESSAGE_SERVER: "Message Server",
    AppType.CHAT_SERVER: "Chat Server",
    AppType.SCS: "SCS",
    AppType.OTHER: "Other",
}
NODE_FILLS = {
    AppType.COBROWSE_CLUSTER: "#cfe2ff",
    AppType.COBROWSE_NODE: "#e7f1ff",
    AppType.COBROWSE_SERVER: "#e7f1ff",
}
SERVER_FILL = "#f8f9fa"
TYPE_LABELS = dict(AppType.choices)
# Edges labelled with their port up to this many connections; beyond, the port is in each edge's tooltip.
EDGE_LABELS_UP_TO = 60


# What the verdicts read of an application (``security.deployment.runs_with``: its Cluster's placement
# rules) and of its host (a probe's staleness), and what the map shows.
RUN_FIELDS = ("name", "app_type", "version", "cluster", "scs_controlled")
APP_FIELDS = (*RUN_FIELDS, "enabled", "host", "host__name", "host__address",
              *(f"cluster__{name}" for name in RUN_FIELDS))
PORT_FIELDS = ("application", "port_id", "number", "secured")


@dataclass
class MapApp:
    pk: int
    name: str
    app_type: str
    version: str
    enabled: bool
    host_id: int | None
    cluster_id: int | None
    host_name: str
    host_address: str
    cluster_name: str
    url: str = ""

    @property
    def type_label(self) -> str:
        return TYPE_SHORT.get(self.app_type, self.app_type)


@dataclass
class MapEdge:
    pk: int
    client_id: int
    server_id: int
    port_id: str
    port_number: int
    secured: bool
    verdict: Verdict
    url: str = ""


@dataclass
class MapGroup:
    key: str
    label: str
    url: str
    members: list[MapApp] = field(default_factory=list)


@dataclass
class ConnectionMap:
    apps: list[MapApp]
    edges: list[MapEdge]
    group_by: str

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(e.verdict.state for e in self.edges)
        return {state: found.get(state, 0) for state in VERDICT_ORDER}

    def groups(self) -> tuple[list[MapGroup], list[MapApp]]:
        """The boxes (a Cluster with its Nodes, or a host with its applications) and what is in none."""
        groups: dict[int, MapGroup] = {}
        loose: list[MapApp] = []
        app_url, host_url = url_for_ids("applications:detail"), url_for_ids("applications:host_detail")
        for app in self.apps:
            if self.group_by == GROUP_BY_HOST:
                key = app.host_id
                if key is not None and key not in groups:
                    groups[key] = MapGroup(f"host-{key}", f"Host {app.host_name} ({app.host_address})",
                                           host_url(key))
            else:
                key = app.pk if app.app_type == AppType.COBROWSE_CLUSTER else app.cluster_id
                if key is not None and key not in groups:
                    name = app.name if key == app.pk else app.cluster_name
                    groups[key] = MapGroup(f"cluster-{key}", f"Cluster {name}", app_url(key))
            if key is None:
                loose.append(app)
            else:
                groups[key].members.append(app)
        return sorted(groups.values(), key=lambda g: g.label), loose


def connection_filter(*, application: Application | None = None, cluster: Application | None = None,
                      host=None) -> Q:
    """The connections a filter keeps: those with an end on the application, in the Cluster (the Cluster
    or one of its Nodes) or on the host; every connection without a filter."""
    condition = Q()
    if application is not None:
        condition &= Q(client=application) | Q(port__application=application)
    if cluster is not None:
        condition &= (Q(client=cluster) | Q(client__cluster=cluster) | Q(port__application=cluster)
                      | Q(port__application__cluster=cluster))
    if host is not None:
        condition &= Q(client__host=host) | Q(port__application__host=host)
    return condition


def application_filter(*, application: Application | None = None, cluster: Application | None = None,
                       host=None) -> Q:
    condition = Q()
    if application is not None:
        condition &= Q(pk=application.pk)
    if cluster is not None:
        condition &= Q(pk=cluster.pk) | Q(cluster=cluster)
    if host is not None:
        condition &= Q(host=host)
    return condition


def load_map(*, group_by: str = GROUP_BY_CLUSTER, application: Application | None = None,
             cluster: Application | None = None, host=None) -> ConnectionMap:
    """The applications the filter keeps with every connection that has an end among them, and the
    applications at the other ends. Nine queries for any number of applications and connections."""
    filters = {"application": application, "cluster": cluster, "host": host}
    rows = list(with_verdict_data(Connection.objects.filter(connection_filter(**filters)))
                .values_list("pk", "client_id", "port_id", "tls_check__worst", "last_probe_id"))
    ports = Port.objects.filter(pk__in={row[2] for row in rows}).only(*PORT_FIELDS).in_bulk()
    ends = {row[1] for row in rows} | {port.application_id for port in ports.values()}
    # Without a filter every application (Q() | ... would be the ends alone), so those without a connection too.
    kept = application_filter(**filters) | Q(pk__in=ends) if any(filters.values()) else Q()
    loaded = list(Application.objects.filter(kept).select_related("cluster", "host").only(*APP_FIELDS)
                  .order_by("name"))
    connections = shared_connections(rows, ports, {app.pk: app for app in loaded})
    views = connection_views(connections)
    app_url, connections_url = url_for_ids("applications:detail"), url_for_ids("applications:connections")
    apps = [MapApp(pk=a.pk, name=a.name, app_type=a.app_type, version=a.version, enabled=a.enabled,
                   host_id=a.host_id, cluster_id=a.cluster_id, host_name=a.host.name if a.host else "",
                   host_address=a.host.address if a.host else "", cluster_name=a.cluster.name if a.cluster else "",
                   url=app_url(a.pk)) for a in loaded]
    edges = []
    for connection in connections:
        port = connection.port
        edges.append(MapEdge(
            pk=connection.pk, client_id=connection.client_id, server_id=port.application_id,
            port_id=port.port_id, port_number=port.number, secured=port.secured,
            verdict=views[connection.pk].verdict,
            url=f"{connections_url(connection.client_id)}#connection-{connection.pk}"))
    return ConnectionMap(apps=apps, edges=edges, group_by=group_by)


def shared_connections(rows: list[tuple], ports: dict[int, Port], apps: dict[int, Application]) -> list[Connection]:
    """Connections as ``security.verdicts.with_verdict_data`` loads them (client with its Cluster, port,
    server with its host, the check, the last probe's id), each application and port one shared instance:
    a 300-application map has 1,200 connections over 300 applications, and joining them per connection
    made 8,000 model instances, half of the page's time."""
    for port in ports.values():
        port.application = apps[port.application_id]
    connections = []
    for pk, client_id, port_id, worst, last_probe_id in sorted(rows):
        connection = Connection(id=pk, client_id=client_id, port_id=port_id)
        connection.client, connection.port = apps[client_id], ports[port_id]
        connection.validated = worst is not None  # ``security.verdicts.is_checked``
        connection.last_probe_id = last_probe_id
        connections.append(connection)
    return connections


# The picture in Graphviz's language.


DOT_ESCAPES = {**{code: " " for code in (*range(32), 0x7F)}, ord("\\"): "\\\\", ord('"'): '\\"'}


def dot_text(value: str) -> str:
    """Text inside a DOT quoted string that Graphviz shows exactly as given: the quote and the backslash
    escaped (a backslash would otherwise start one of Graphviz's escapes, ``\\N`` the node's name),
    control characters as spaces."""
    return str(value).translate(DOT_ESCAPES)


def dot_string(value: str) -> str:
    return f'"{dot_text(value)}"'


def attrs(**values) -> str:
    """``[name="value" ...]``; a value given as a tuple is lines (joined by Graphviz's centred newline)."""
    quoted = (f'{name}="' + "\\n".join(dot_text(v) for v in value) + '"' if isinstance(value, tuple)
              else f"{name}={dot_string(value)}" for name, value in values.items())
    return "[" + " ".join(quoted) + "]"


def app_node(app: MapApp) -> str:
    fill = NODE_FILLS.get(app.app_type, SERVER_FILL)
    second = f"{app.type_label} {app.version}" + ("" if app.enabled else " (disabled)")
    return f"  a{app.pk} " + attrs(
        id=f"app-{app.pk}", **{"class": f"map-app app-{app.app_type}"}, label=(app.name, second),
        URL=app.url, fillcolor=fill, style="rounded,filled" if app.enabled else "rounded,filled,dashed",
    ) + ";"


def edge_tooltip(edge: MapEdge, names: dict[int, str]) -> str:
    on = f" on {', '.join(edge.verdict.failing)}" if edge.verdict.failing else ""
    return (f"{names.get(edge.client_id, '?')} → {names.get(edge.server_id, '?')}:{edge.port_id} ({edge.port_number}): "
            f"{edge.verdict.label}{on}")


def map_titles(picture: ConnectionMap) -> dict[str, str]:
    """What hovering each box, group and arrow shows, by its SVG id. Put in by ``clean_svg``, not given to
    Graphviz: it expands its escapes (``\\G``, ``\\N``) in a group's tooltip even when escaped."""
    names = {a.pk: a.name for a in picture.apps}
    titles = {f"app-{a.pk}": f"{a.name}: {TYPE_LABELS.get(a.app_type, a.app_type)} {a.version}"
                             + (f", on {a.host_name}" if a.host_name else "") for a in picture.apps}
    titles.update((f"group-{g.key}", g.label) for g in picture.groups()[0])
    titles.update((f"connection-{e.pk}", edge_tooltip(e, names)) for e in picture.edges)
    return titles


# Up to this many applications that are only clients, they stay left of the servers; beyond, half of them
# (whole boxes) go to the right, so the picture is half as tall and uses a wide screen.
ONE_SIDE_UP_TO = 16


def sides(groups: list[MapGroup], loose: list[MapApp], servers: set[int]) -> set[int]:
    """The clients drawn right of the servers: whole boxes (and loose applications) by size, alternately,
    so each side has about half of those that are only clients."""
    units = [[a.pk for a in g.members if a.pk not in servers] for g in groups]
    units += [[a.pk] for a in loose if a.pk not in servers]
    units = [u for u in units if u]
    if sum(len(u) for u in units) <= ONE_SIDE_UP_TO:
        return set()
    left = right = 0
    on_right: set[int] = set()
    for unit in units:
        if right < left:
            on_right.update(unit)
            right += len(unit)
        else:
            left += len(unit)
    return on_right


def map_dot(picture: ConnectionMap) -> str:
    """The picture, left to right: the clients, then the servers (every application with a connection to
    it) in one column, then (on a large map) the other half of the clients, their arrows turned back."""
    groups, loose = picture.groups()
    servers = {e.server_id for e in picture.edges}
    right = sides(groups, loose, servers)
    lines = [
        "digraph connection_map {",
        f'  graph [rankdir="LR" newrank="true" ranksep="{1.6 if len(picture.edges) <= EDGE_LABELS_UP_TO else 3}" '
        'nodesep="0.12" fontname="Arial" fontsize="12" '
        'mclimit="0.3" remincross="false" outputorder="edgesfirst"];',
        '  node [shape="box" fontname="Arial" fontsize="10" height="0.3" margin="0.08,0.03" penwidth="0.8"];',
        '  edge [arrowsize="0.6" fontname="Arial" fontsize="8"];',
    ]
    for index, group in enumerate(groups):
        lines.append(f"  subgraph cluster_{index} {{")
        lines.append("    graph " + attrs(id=f"group-{group.key}", **{"class": "map-group"}, label=group.label,
                                          URL=group.url, style="rounded", color="#adb5bd",
                                          labeljust="l", fontsize="11") + ";")
        lines.extend("  " + app_node(app) for app in group.members)
        lines.append("  }")
    lines.extend(app_node(app) for app in loose)
    if servers:
        # One column of servers: no arrow crosses a column, so the layout has no long edges to route.
        lines.append("  {rank=\"same\"; " + " ".join(f"a{pk};" for pk in sorted(servers)) + "}")
    labelled = len(picture.edges) <= EDGE_LABELS_UP_TO
    for edge in picture.edges:
        color, style, width = EDGE_STYLES[edge.verdict.state]
        if not labelled:
            # Many arrows meet at each server: translucent, each one still shows through the others (the
            # one under the pointer is drawn opaque and thicker by the stylesheet).
            color, width = f"{color}99", width * 0.8
        extra = {"label": edge.port_id} if labelled else {}
        back = edge.client_id in right
        ends = f"a{edge.server_id} -> a{edge.client_id}" if back else f"a{edge.client_id} -> a{edge.server_id}"
        if back:
            extra["dir"] = "back"
        lines.append(f"  {ends} " + attrs(
            id=f"connection-{edge.pk}", **{"class": f"map-connection verdict-{edge.verdict.state}"},
            URL=edge.url, color=color, fontcolor=color, style=style,
            penwidth=str(width), **extra) + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


# Laying it out.


class LayoutError(Exception):
    """The picture could not be laid out (the program is missing, failed or took too long)."""


def dot_program() -> str | None:
    """``settings.GRAPHVIZ_DOT`` if set, else ``graphviz-pure`` next to this Python (the virtualenv's
    bin directory, where pip installs it) or on the PATH."""
    configured = getattr(settings, "GRAPHVIZ_DOT", "")
    if configured:
        return configured if Path(configured).is_file() else shutil.which(configured)
    here = Path(sys.executable).parent / "graphviz-pure"
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    return shutil.which("graphviz-pure")


def run_layout(program: str, dot: str, *options: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([program, "-Tsvg", *options], input=dot.encode(), capture_output=True,
                              timeout=getattr(settings, "CONNECTION_MAP_TIMEOUT", 30), check=False)
    except subprocess.TimeoutExpired as exc:
        raise LayoutError("laying the map out took too long: filter it to a Cluster, a host or an application") from exc
    except OSError as exc:
        raise LayoutError(f"the layout program could not run: {exc.strerror or exc}") from exc


def render_svg(dot: str, titles: dict[str, str] | None = None) -> str:
    """The laid-out picture, cleaned (``clean_svg``) with its ``titles``. The same source gives the same
    picture, so it is kept in the cache under the digest of both: a second look at an unchanged map does
    not lay it out again, and any change (a verdict, a name, a connection) is another source."""
    titles = titles or {}
    digest = hashlib.sha256(dot.encode())
    digest.update(json.dumps(titles, sort_keys=True).encode())
    key = "connection-map:" + digest.hexdigest()
    svg = cache.get(key)
    if svg is not None:
        return svg
    program = dot_program()
    if not program:
        raise LayoutError("the graphviz-pure program is not installed: run `pip install -r requirements.txt` "
                          "(or set GRAPHVIZ_DOT to a Graphviz dot)")
    done = run_layout(program, dot)
    if done.returncode != 0:
        # The spline router can fail on an arrow between two boxes of one rank (two servers connected to
        # each other: "Error: lost a14 a17 edge"), and the picture then lacks that connection. Straight
        # arrows need no routing: the same layout again with them draws every connection.
        done = run_layout(program, dot, "-Gsplines=line")
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise LayoutError(f"the layout program failed: {message[-1] if message else done.returncode}")
    svg = clean_svg(done.stdout, titles)
    cache.set(key, svg, getattr(settings, "CONNECTION_MAP_CACHE_SECONDS", 600))
    return svg


SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ALLOWED_ELEMENTS = {"svg", "g", "a", "title", "polygon", "polyline", "path", "ellipse", "text"}
ALLOWED_ATTRIBUTES = {
    "width", "height", "viewBox", "id", "class", "transform", "fill", "stroke", "stroke-width",
    "stroke-dasharray", "stroke-opacity", "fill-opacity",
    "points", "d", "cx", "cy", "rx", "ry", "x", "y", "text-anchor", "font-family",
    "font-size", "font-weight", "font-style", f"{{{XLINK_NS}}}href", f"{{{XLINK_NS}}}title",
    "{http://www.w3.org/XML/1998/namespace}space",
}


def clean_svg(data: bytes, titles: dict[str, str] | None = None) -> str:
    """Graphviz's SVG re-read as XML and written back with only the elements and attributes a map has
    (no comment, doctype, script, style, event handler or foreign link), every text and attribute
    escaped by the XML writer: what goes inline into the page cannot be anything but this picture."""
    root = ET.fromstring(data)
    strip(root)
    set_titles(root, titles or {})
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root.set("class", "connection-map-svg")
    root.set("role", "img")
    root.set("aria-label", "Connection map")
    return ET.tostring(root, encoding="unicode")


def set_titles(root: ET.Element, titles: dict[str, str]) -> None:
    """Each box's, group's and arrow's <title> (what a browser shows on hovering it) is ours, by its id;
    Graphviz wrote its internal name there ("a12->a3") and the label into each link's title."""
    for group in root.iter(f"{{{SVG_NS}}}g"):
        title = group.find(f"{{{SVG_NS}}}title")
        if title is not None:
            title.text = titles.get(group.get("id", ""), "")
        for link in group.findall(f"{{{SVG_NS}}}a"):
            link.attrib.pop(f"{{{XLINK_NS}}}title", None)
        for inner in group.findall(f"{{{SVG_NS}}}g"):
            for link in inner.findall(f"{{{SVG_NS}}}a"):
                link.attrib.pop(f"{{{XLINK_NS}}}title", None)


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if tag.startswith(f"{{{SVG_NS}}}") else ""


def strip(element: ET.Element) -> None:
    for name in list(element.attrib):
        value = element.attrib[name]
        if name not in ALLOWED_ATTRIBUTES or (name.endswith("}href") and not value.startswith("/")):
            del element.attrib[name]
    for child in list(element):
        if local(child.tag) not in ALLOWED_ELEMENTS:
            element.remove(child)
        else:
            strip(child)


SVG_SIZE = re.compile(r'\s(width|height)="[^"]*"')


def scaled(svg: str, zoom: str) -> str:
    """The picture at a zoom: "fit" the page's width, or a percentage of its natural size (in pt)."""
    end = svg.index(">")
    head = svg[:end]
    size = {name: float(value.removesuffix("pt")) for name, value in re.findall(r'\s(width|height)="([^"]*)"', head)}
    if zoom == "fit":
        # Its natural size, shrunk by the stylesheet to the page's width (never enlarged).
        return head.replace('class="connection-map-svg"', 'class="connection-map-svg map-fit"', 1) + svg[end:]
    else:
        factor = int(zoom) / 100
        head = SVG_SIZE.sub("", head) + "".join(f' {name}="{value * factor:.0f}pt"' for name, value in size.items())
    return head + svg[end:]


def legend(counts: dict[str, int] | None = None) -> list[tuple[Verdict, str, str, str, int | None]]:
    """Each verdict with its meaning, its edges' colour and line, and how many connections have it."""
    return [(Verdict(state), VERDICT_MEANINGS[state], *EDGE_STYLES[state][:2], (counts or {}).get(state))
            for state in VERDICT_ORDER]


__all__ = ["VERDICT_LABELS", "ConnectionMap", "LayoutError", "load_map", "map_dot", "render_svg"]
