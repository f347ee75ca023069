"""The ``security`` section of a Co-browse application: the rules R1 and R4, and cluster-wide apply.

The three options (``provider``, ``trusted-ca``, ``truststore-password``) are written only through
``applications.options.options_apply``, like every other options write, so validation, encryption
of the password, audit, stale edits and restart tracking are the same as in the options editor.

Decisions:
- An empty provider *removes* the three options. The source document's default is "none" and
  "if empty, TLS support is disabled": an absent option says the same as an empty one, and does
  not add a pointless "restart required" entry for a server that never had a provider.
- The JKS password always comes from a trusted store (the console never asks for it here), so a
  typed path is accepted for PEM only: a keystore already on the host is imported into a JKS store
  with its password first.
- MSCAPI may name an MSCAPI store (to remember which CA the Windows store must hold); the path and
  the password do not apply and are removed.
"""

from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse

from applications import audit
from applications.models import Application, AppType, Option, Port
from applications.options import OptionChange, options_apply
from applications.paths import path_problem
from applications.text import quoted
from applications.versions import at_least
from cobrowse_admin import secret_box
from security import store_users
from security.models import Provider, StoreAssignment, TrustedStore
from security.rules import V_8_5_001, Placement, security_section_placement
from security.stores import store_password

SECTION = "security"
PROVIDER = "provider"
TRUSTED_CA = "trusted-ca"
PASSWORD = "truststore-password"
OPTION_NAMES = (PROVIDER, TRUSTED_CA, PASSWORD)
PROVIDERS = ("", Provider.PEM, Provider.JKS, Provider.MSCAPI)


class SectionRefused(Exception):
    """The security section cannot be set as asked. ``field`` names the form field it is about."""

    def __init__(self, message: str, field: str = ""):
        self.message = message
        self.field = field
        super().__init__(message)


def placement_for(app: Application) -> Placement:
    """R1 for this application, SCS taken from the application or its Cluster."""
    return security_section_placement(app.app_type, app.version, app.uses_scs)


def host_label(app: Application) -> str:
    if app.host is None:
        return "no host"
    return f"{app.host.name}, {app.host.get_os_type_display()}"


def section_changes(
    *, application: Application, provider: str, store: TrustedStore | None, typed_path: str = ""
) -> list[OptionChange]:
    """The three option changes for this request, or ``SectionRefused`` saying why not (R1, R4)."""
    app = application
    placement = placement_for(app)
    if not placement.allowed:
        raise SectionRefused(f"{app.name} cannot hold the security section. {placement.reason}")
    provider = (provider or "").strip()
    typed_path = (typed_path or "").strip()
    if provider not in PROVIDERS:
        raise SectionRefused(f"{quoted(provider)} is not a provider: use PEM, JKS, MSCAPI or empty (TLS disabled).",
                             "provider")
    if not provider:
        if store is not None or typed_path:
            raise SectionRefused("TLS is disabled (empty provider): no trusted store or path applies.", "store")
        return [OptionChange(SECTION, name, None) for name in OPTION_NAMES]
    if store is not None and store.provider != provider:
        raise SectionRefused(
            f"The store {store.name} is a {store.provider} store; provider {provider} needs a {provider} store.",
            "store",
        )
    if store is not None and typed_path:
        raise SectionRefused("Choose a trusted store or type a path, not both.", "typed_path")
    if provider == Provider.MSCAPI:
        return mscapi_changes(app, typed_path)
    if provider == Provider.PEM:
        if store is None and not typed_path:
            raise SectionRefused("Choose a PEM store or type the path of the PEM file on the host.", "store")
        path = store_path_for(store, app) if store is not None else typed_path
        check_path(app, path, "store" if store is not None else "typed_path")
        return [OptionChange(SECTION, PROVIDER, provider), OptionChange(SECTION, TRUSTED_CA, path),
                OptionChange(SECTION, PASSWORD, None)]
    # JKS
    if typed_path:
        raise SectionRefused(
            "A JKS keystore needs its password, which the console takes from a trusted store: import the "
            "keystore into a JKS store (with its password) and choose that store.",
            "typed_path",
        )
    if store is None:
        raise SectionRefused("Choose a JKS store: trusted-ca and truststore-password are filled from it.", "store")
    password = store_password(store)
    if not password:
        raise SectionRefused(
            f"The JKS store {store.name} has no password: set the keystore password on the store first.", "store"
        )
    path = store_path_for(store, app)
    check_path(app, path, "store")
    return [OptionChange(SECTION, PROVIDER, provider), OptionChange(SECTION, TRUSTED_CA, path),
            OptionChange(SECTION, PASSWORD, password)]


def mscapi_changes(app: Application, typed_path: str) -> list[OptionChange]:
    if typed_path:
        raise SectionRefused("trusted-ca does not apply to MSCAPI (the Windows certificate store): "
                             "leave the path empty.", "typed_path")
    if app.host is None:
        raise SectionRefused(f"{app.name} has no host: MSCAPI needs to know it runs on Windows. "
                             "Set its host first.", "provider")
    if not app.host.is_windows:
        raise SectionRefused(
            f"MSCAPI is the Windows certificate store, but {app.name} runs on {app.host.name} "
            f"({app.host.get_os_type_display()}). Use PEM (recommended on Linux) or JKS.",
            "provider",
        )
    return [OptionChange(SECTION, PROVIDER, Provider.MSCAPI), OptionChange(SECTION, TRUSTED_CA, None),
            OptionChange(SECTION, PASSWORD, None)]


def host_os(app: Application) -> str | None:
    return app.host.os_type if app.host else None


def store_path_for(store: TrustedStore, app: Application) -> str:
    """The path ``store`` has on the host of ``app`` (R4: the value of trusted-ca), or a refusal."""
    path = store.path_for(host_os(app))
    if path:
        return path
    if app.host is None:
        raise SectionRefused(
            f"{app.name} has no host, and the store {store.name} has a path for Linux/Unix hosts and one for "
            f"Windows hosts: set the host of {app.name} so the console knows which one applies.", "store")
    where = "Windows" if app.host.is_windows else "Linux/Unix"
    raise SectionRefused(
        f"The store {store.name} has no path for {where} hosts, and {app.name} runs on {host_label(app)}: "
        f"add the path the file has on {where} hosts to the store.", "store")


def check_path(app: Application, path: str, field: str) -> None:
    """trusted-ca must be a full file path that fits the operating system of every host it serves:
    the application's own, and for a Cluster the Nodes that take its section (they have none)."""
    if not path:
        raise SectionRefused("The path of the trusted store file on the host is missing.", field)
    problem = path_problem(path, host_os(app), host=app.host.name if app.host else "")
    if problem:
        raise SectionRefused(problem, field)
    if app.app_type == AppType.COBROWSE_CLUSTER:
        for node in nodes_taking_the_cluster_section(app):
            problem = path_problem(path, host_os(node), host=node.host.name if node.host else "")
            if problem:
                raise SectionRefused(
                    f"{node.name} takes the security section of {app.name} (it has none of its own) and runs on "
                    f"{host_label(node)}: {problem} Set the section of the Nodes instead (Apply to all Nodes gives "
                    "each Node the path for its host).", field)


def nodes_taking_the_cluster_section(cluster: Application) -> list[Application]:
    """The Nodes that would run with this Cluster's section: those without one of their own."""
    nodes = cluster.nodes.select_related("host").order_by("name")
    return [node for node in nodes if not section_state(node).is_set]


def describe(provider: str, store: TrustedStore | None, typed_path: str) -> str:
    if not provider:
        return "Security section: TLS disabled."
    source = f" from trusted store {store.name}" if store else (f" with typed path {typed_path}" if typed_path else "")
    return f"Security section: provider {provider}{source}."


@transaction.atomic
def security_section_set(
    *,
    application: Application,
    provider: str,
    store: TrustedStore | None,
    typed_path: str = "",
    actor,
    expected_revision: int | None = None,
    note: str = "",
    source: str = "security section",
) -> int:
    """Set the security section of one application; returns how many options changed.

    Raises ``SectionRefused`` (R1, R4), and whatever ``options_apply`` raises (``StaleEdit`` when the
    options changed since ``expected_revision``, ``OptionsInvalid``). Nothing is saved on error.
    """
    app = Application.objects.select_related("host", "cluster").get(pk=application.pk)
    changes = section_changes(application=app, provider=provider, store=store, typed_path=typed_path)
    changed = options_apply(
        application=app,
        changes=changes,
        actor=actor,
        expected_revision=expected_revision,
        action_note=describe(provider, store, typed_path),
        note=note,
        source=source,
    )
    record_assignment(app, store if provider else None, actor)
    store_users.fold_after_commit()  # the stores' users, kept by triggers on the section and assignment
    application.options_revision = app.options_revision
    return changed


def record_assignment(app: Application, store: TrustedStore | None, actor) -> None:
    """Remember which store the section was set from (the path alone can be ambiguous)."""
    current = StoreAssignment.objects.filter(application=app).select_related("store").first()
    old_name = current.store.name if current else None
    new_name = store.name if store else None
    if old_name == new_name:
        return
    if store is None:
        current.delete()
    else:
        StoreAssignment.objects.update_or_create(application=app, defaults={"store": store})
    audit.record(actor=actor, action="update", object_type="application", obj=app, application=app,
                 changes={"trusted store": [old_name, new_name]})


def forget_store_not_in_use(app: Application, actor) -> None:
    """After the section was written by other means than this form (a revert), forget the store it
    was set from when the section no longer uses that store (another provider, another path)."""
    current = StoreAssignment.objects.filter(application=app).select_related("store").first()
    if current is None:
        return
    options = dict(Option.objects.filter(application=app, section=SECTION, name__in=(PROVIDER, TRUSTED_CA))
                   .values_list("name", "value"))
    store = current.store
    if options.get(PROVIDER) == store.provider and (store.provider == Provider.MSCAPI
                                                    or options.get(TRUSTED_CA) in store.paths):
        return
    record_assignment(app, None, actor)


@transaction.atomic
def cluster_apply(
    *,
    cluster: Application,
    provider: str,
    store: TrustedStore | None,
    typed_path: str = "",
    actor,
    expected_revisions: dict[int, int] | None = None,
    note: str = "",
) -> list[tuple[Application, int]]:
    """The same security section on every Node of the Cluster, all or nothing.

    Returns ``(node, options changed)`` for each Node. Every Node is checked before anything is
    written; ``expected_revisions`` (Node id → options revision shown) turns a concurrent edit of
    any Node into ``StaleEdit`` and nothing is saved.
    """
    cluster = Application.objects.select_related("host").get(pk=cluster.pk)
    if cluster.app_type != AppType.COBROWSE_CLUSTER:
        raise SectionRefused(f"{cluster.name} is not a Co-browse Cluster.")
    if not at_least(cluster.version, V_8_5_001):
        raise SectionRefused("Co-browse Clusters have Nodes from 8.5.001: configure the Co-browse Server instead.")
    nodes = list(cluster.nodes.select_related("host", "cluster").order_by("name"))
    if not nodes:
        raise SectionRefused(f"{cluster.name} has no Nodes: add Nodes to the Cluster first.")
    if (provider or "").strip() == Provider.MSCAPI:
        not_windows = [n for n in nodes if n.host is None or not n.host.is_windows]
        if not_windows:
            names = ", ".join(f"{n.name} ({host_label(n)})" for n in not_windows)
            raise SectionRefused(
                f"MSCAPI exists only on Windows, and these Nodes are not on a Windows host: {names}. "
                "Nothing was applied. Use PEM or JKS for the whole Cluster, or set the Windows Nodes one by one.",
                "provider",
            )
    problems, field = [], ""
    for node in nodes:
        try:
            section_changes(application=node, provider=provider, store=store, typed_path=typed_path)
        except SectionRefused as exc:
            problems.append(f"{node.name}: {exc.message}")
            field = exc.field
    if problems:
        raise SectionRefused("Nothing was applied. " + " ".join(problems), field)
    revisions = expected_revisions or {}
    # Every Node locked now, in one order: each Node's save ends with its audit events, which hold the
    # chain's head; locking the next Node after that could wait on an editor who waits for the head.
    list(Application.objects.select_for_update(no_key=True).filter(pk__in=[n.pk for n in nodes]).order_by("pk"))
    return [
        (node, security_section_set(application=node, provider=provider, store=store, typed_path=typed_path,
                                    actor=actor, expected_revision=revisions.get(node.pk), note=note,
                                    source="cluster apply"))
        for node in nodes
    ]


# Read side: what the pages show.


@dataclass(frozen=True)
class SectionState:
    """The security section as stored. The password itself is never part of it."""

    provider: str
    trusted_ca: str
    has_password: bool
    store: TrustedStore | None
    # Keyed digest of the password, to tell "configured identically" apart; never shown.
    password_digest: str = ""

    @property
    def is_set(self) -> bool:
        return bool(self.provider or self.trusted_ca or self.has_password)

    @property
    def signature(self) -> tuple:
        """What makes two sections "the same": set from one store, each Node with the store's path for
        its host, is the same section; otherwise the path itself."""
        if self.store is not None and (not self.trusted_ca or self.trusted_ca in self.store.paths):
            location = ("store", self.store.pk)
        else:
            location = ("path", self.trusted_ca, self.store.pk if self.store else None)
        return (self.provider, location, self.password_digest)


def section_state(app: Application) -> SectionState:
    from security.stores import store_for_application

    options = {o.name: o for o in Option.objects.filter(application=app, section=SECTION, name__in=OPTION_NAMES)}
    password = options.get(PASSWORD)
    clear = secret_box.decrypt(password.value) if password and password.is_secret else (password.value if password
                                                                                         else "")
    return SectionState(
        provider=options[PROVIDER].value if PROVIDER in options else "",
        trusted_ca=options[TRUSTED_CA].value if TRUSTED_CA in options else "",
        has_password=bool(clear),
        store=store_for_application(app),
        password_digest=secret_box.digest(clear) if clear else "",
    )


def nodes_identical(states: list[SectionState]) -> bool:
    return len({s.signature for s in states}) <= 1


def nodes_badge(states: list[SectionState], cluster: SectionState | None = None) -> str:
    """How the Cluster's security page sums up its Nodes: "identical" is good news only when TLS is on.
    One of "identical", "identical_tls_off" (every Node runs with TLS disabled) or "differ".
    ``cluster``: the Cluster's own section when its Nodes may inherit it (R1), for the Nodes without one."""
    if not nodes_identical(states):
        return "differ"
    inherited = cluster.provider if cluster is not None else ""
    if states and any((s.provider if s.is_set else inherited) for s in states):
        return "identical"
    return "identical_tls_off"


def effective_section(app: Application) -> tuple[Application, SectionState]:
    """The application whose security section this one runs with: its own, or, for a Node with none,
    its Cluster's when R1 lets the Cluster hold it (8.5.003+ without SCS)."""
    own = section_state(app)
    if own.is_set or app.app_type != AppType.COBROWSE_NODE or app.cluster is None:
        return app, own
    if placement_for(app.cluster).allowed:
        cluster_state = section_state(app.cluster)
        if cluster_state.is_set:
            return app.cluster, cluster_state
    return app, own


@dataclass
class ConfigServerTarget:
    """The Configuration Server and secure port a setenv fragment points at, or what is missing."""

    config_server: Application | None = None
    port: Port | None = None
    candidates: list[Application] | None = None
    missing: list[tuple[str, str]] | None = None  # (message, URL where to fix it)


def config_server_target(config_server_id: int | None = None) -> ConfigServerTarget:
    """R3: the Configuration Server (the chosen one, or the first with a secured port) and its secure
    port (port ID ``secure`` preferred, else the lowest secured port)."""
    servers = list(Application.objects.filter(app_type=AppType.CONFIG_SERVER).select_related("host").order_by("name"))
    target = ConfigServerTarget(candidates=servers, missing=[])
    if not servers:
        target.missing.append((
            "No Configuration Server application exists: add one (type Configuration Server) with a secure port.",
            reverse("applications:new"),
        ))
        return target
    chosen = next((s for s in servers if s.pk == config_server_id), None)
    if chosen is None:
        chosen = next((s for s in servers if s.ports.filter(secured=True).exists()), servers[0])
    target.config_server = chosen
    ports = list(chosen.ports.filter(secured=True).order_by("number"))
    target.port = next((p for p in ports if p.port_id == "secure"), ports[0] if ports else None)
    if target.port is None:
        target.missing.append((
            f"{chosen.name} has no secure port: add one on its Server Info tab.",
            reverse("applications:ports", args=[chosen.pk]),
        ))
    if chosen.host is None:
        target.missing.append((
            f"{chosen.name} has no host: set its host so the console knows the address to connect to.",
            reverse("applications:edit", args=[chosen.pk]),
        ))
    return target


def store_changed(*, store: TrustedStore, actor) -> tuple[list[Application], list[str]]:
    """Re-apply the security section of the applications set from ``store`` after the store changed
    (its path or its JKS password), so ``trusted-ca`` and ``truststore-password`` follow it.

    Returns the applications whose options changed, and one message per application that could not
    take the store any more (left as it was). Each application is written on its own.
    """
    changed, problems = [], []
    assignments = StoreAssignment.objects.filter(store=store).select_related("application__host",
                                                                              "application__cluster")
    for assignment in assignments.order_by("application__name"):
        app = assignment.application
        if section_state(app).provider != store.provider:
            continue  # the provider was changed by hand since: the store no longer applies
        try:
            if security_section_set(application=app, provider=store.provider, store=store, actor=actor):
                changed.append(app)
        except SectionRefused as exc:
            problems.append(f"{app.name}: {exc.message}")
    return changed, problems
