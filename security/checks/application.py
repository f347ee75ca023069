"""Checks of an application's security section (R1, R4) and of what it must agree with."""

from dataclasses import dataclass, field

from applications.models import COBROWSE_TYPES, AppType, OperatingSystem
from applications.paths import path_problem
from applications.text import quoted
from security.rules import security_section_placement

from .codes import Issue

PROVIDERS = ("MSCAPI", "PEM", "JKS")


@dataclass(frozen=True)
class SectionFacts:
    """The ``security`` section as saved. ``provider`` None: the option is absent."""

    present: bool = False
    provider: str | None = None
    trusted_ca: str = ""
    has_password: bool = False

    @property
    def tls_enabled(self) -> bool:
        return bool(self.provider)


@dataclass(frozen=True)
class StoreFacts:
    name: str
    provider: str
    path: str
    # JKS: does the application's truststore-password open the store's keystore (None: not applicable)
    password_opens: bool | None = None


@dataclass(frozen=True)
class NodeConfig:
    name: str
    provider: str
    trusted_ca: str
    password_digest: str  # keyed digest, never the password
    # The trusted store the section was set from, when trusted-ca is that store's path for the Node's
    # host: Nodes on Linux and on Windows set from one store have different paths, one configuration.
    store: str = ""

    @property
    def shape(self) -> tuple[str, str]:
        return (self.provider, f"store {self.store}" if self.store else self.trusted_ca)


@dataclass(frozen=True)
class ApplicationFacts:
    name: str
    app_type: str
    version: str
    scs: bool
    host_os: str | None
    section: SectionFacts
    store: StoreFacts | None = None
    # A Node without a section of its own uses its Cluster's (8.5.003+, no SCS).
    inherited: SectionFacts | None = None
    inherited_from: str = ""
    # The connections through secure ports whose TLS this application's section must serve.
    secure_connections: tuple[str, ...] = ()
    # False for a Cluster with Nodes: its Nodes run the connections and report for themselves.
    serves_connections: bool = True
    node_configs: tuple[NodeConfig, ...] = field(default_factory=tuple)
    host_name: str = ""


def suggest_provider(value: str) -> str:
    for provider in PROVIDERS:
        if value.strip().upper() == provider or (len(value) >= 3 and provider.startswith(value.strip().upper())):
            return provider
    return ""


def check_application(facts: ApplicationFacts) -> list[Issue]:
    if facts.app_type not in COBROWSE_TYPES:
        return []
    issues: list[Issue] = []
    if facts.section.present:
        placement = security_section_placement(facts.app_type, facts.version, facts.scs)
        if not placement.allowed:
            where = {"nodes": "the Co-browse Node applications", "cluster": "the Co-browse Cluster"}.get(
                placement.instead, "the right Co-browse application")
            issues.append(Issue(
                "application.section_misplaced",
                f"{facts.name} has a security section, but Co-browse does not read it here: {placement.reason}",
                f"Move provider, trusted-ca and truststore-password to {where} and remove them from {facts.name}.",
            ))
        issues += check_section(facts)
    issues += check_path_fits_host(facts)
    issues += check_tls_disabled(facts)
    issues += check_uses_tls(facts)
    issues += check_nodes(facts)
    return issues


def check_section(facts: ApplicationFacts) -> list[Issue]:
    section = facts.section
    provider = section.provider
    issues: list[Issue] = []
    if provider is not None and provider not in ("",) + PROVIDERS:
        suggestion = suggest_provider(provider)
        return [Issue(
            "application.invalid_provider",
            f"provider is {quoted(provider)}: Co-browse knows only MSCAPI, PEM and JKS (empty disables TLS).",
            (f"Did you mean {suggestion}? " if suggestion else "") + "Values are case-sensitive.",
        )]
    if provider in ("PEM", "JKS") and not section.trusted_ca:
        kind = "PEM file" if provider == "PEM" else "JKS keystore"
        issues.append(Issue(
            "application.trusted_ca_missing",
            f"provider is {provider} but trusted-ca is empty: Co-browse has no {kind} to verify servers with.",
            f"Set trusted-ca to the path of the {kind} on the host, or pick the trusted store in the security form.",
        ))
    if provider == "JKS" and not section.has_password:
        issues.append(Issue(
            "application.password_missing",
            "provider is JKS but truststore-password is empty: the keystore cannot be opened.",
            "Set truststore-password to the keystore's password (choosing the JKS store in the form does it).",
        ))
    if section.trusted_ca and provider in (None, "", "MSCAPI"):
        why = "MSCAPI uses the Windows certificate store" if provider == "MSCAPI" else "TLS is disabled (no provider)"
        issues.append(Issue(
            "application.trusted_ca_not_applicable",
            f"trusted-ca is set but does not apply: {why}.",
            "Remove trusted-ca, or set the provider that uses it (PEM or JKS).",
        ))
    if section.has_password and provider != "JKS":
        why = {"MSCAPI": "MSCAPI uses the Windows certificate store", "PEM": "a PEM file has no password"}.get(
            provider or "", "TLS is disabled (no provider)")
        issues.append(Issue(
            "application.password_not_applicable",
            f"truststore-password is set but does not apply: {why}.",
            "Remove truststore-password: only a JKS keystore has one.",
        ))
    if provider == "MSCAPI" and facts.host_os and facts.host_os != OperatingSystem.WINDOWS:
        issues.append(Issue(
            "application.mscapi_not_windows",
            f"provider is MSCAPI but {facts.name} runs on a {OperatingSystem(facts.host_os).label} host: "
            "the Windows certificate store exists only on Windows.",
            "Use a PEM file (recommended on Linux) or a JKS keystore.",
        ))
    if provider in PROVIDERS:
        issues += check_store(facts, provider)
    return issues


def check_path_fits_host(facts: ApplicationFacts) -> list[Issue]:
    """trusted-ca must be a path on the operating system of the host that runs with it: the
    application's own section, or for a Node without one the Cluster's section it takes."""
    if not facts.host_os:
        return []
    section, origin = facts.section, ""
    if not section.present and facts.inherited is not None:
        section, origin = facts.inherited, f" (from the security section of {facts.inherited_from})"
    if section.provider not in ("PEM", "JKS") or not section.trusted_ca:
        return []
    problem = path_problem(section.trusted_ca, facts.host_os, host=facts.host_name)
    if problem is None:
        return []
    return [Issue(
        "application.trusted_ca_wrong_os",
        f"trusted-ca of {facts.name}{origin} does not fit its host: {problem}",
        "Choose the trusted store again in the security form (each host gets the store's path for its operating "
        "system; add that path to the store if it has none), or type the path the file has on this host.",
    )]


def check_store(facts: ApplicationFacts, provider: str) -> list[Issue]:
    section, store = facts.section, facts.store
    if store is None:
        if provider == "MSCAPI":
            return [Issue(
                "application.store_unknown",
                "No MSCAPI store of the console is chosen for this application: the console cannot check "
                "which CA certificates it should find in the Windows store.",
                "Choose the MSCAPI store in the security form so its certificates are validated.",
            )]
        if not section.trusted_ca:
            return []  # trusted_ca_missing says it
        return [Issue(
            "application.store_unknown",
            f"trusted-ca {quoted(section.trusted_ca)} is not the path of a trusted store the console knows: "
            "its contents cannot be checked.",
            "Create the store in the console (upload its CA certificate) with this path, or choose a known store "
            "in the security form.",
        )]
    issues = []
    if store.provider != provider:
        issues.append(Issue(
            "application.store_provider_mismatch",
            f"provider is {provider} but the trusted store {quoted(store.name)} is a {store.provider} store.",
            f"Set provider to {store.provider}, or choose a {provider} store.",
            detail_key="provider",
        ))
    elif provider in ("PEM", "JKS") and section.trusted_ca and store.path and section.trusted_ca != store.path:
        issues.append(Issue(
            "application.store_provider_mismatch",
            f"trusted-ca is {quoted(section.trusted_ca)} but the chosen store {quoted(store.name)} lives at "
            f"{quoted(store.path)} on this host.",
            "Choose the store again in the security form so trusted-ca gets its path.",
            detail_key="path",
        ))
    if provider == "JKS" and store.provider == "JKS" and section.has_password and store.password_opens is False:
        issues.append(Issue(
            "application.store_password_mismatch",
            f"truststore-password does not open the keystore of the store {quoted(store.name)}.",
            "Choose the store again in the security form (it fills in the store's password), or fix the password.",
        ))
    return issues


def check_tls_disabled(facts: ApplicationFacts) -> list[Issue]:
    if not facts.serves_connections or not facts.secure_connections:
        return []
    section = facts.section if facts.section.present or facts.inherited is None else facts.inherited
    if section.tls_enabled:
        return []
    where = f" (from {facts.inherited_from})" if section is facts.inherited else ""
    state = "empty" if section.provider == "" else "not set"
    shown = ", ".join(facts.secure_connections[:5]) + (" …" if len(facts.secure_connections) > 5 else "")
    return [Issue(
        "application.tls_disabled",
        f"TLS is disabled on {facts.name} (provider {state}{where}) but connections go through secure ports: "
        f"{shown}. They will fail.",
        "Set provider (PEM, JKS or MSCAPI) and the trusted store in the security section.",
    )]


def check_uses_tls(facts: ApplicationFacts) -> list[Issue]:
    """A Co-browse application none of whose connections goes through a secure port is not TLS-ready:
    nothing it connects to would use TLS, whatever its security section says."""
    if not facts.serves_connections or facts.secure_connections:
        return []
    section = facts.section if facts.section.present or facts.inherited is None else facts.inherited
    state = f"TLS is enabled ({section.provider})" if section.tls_enabled else "TLS is disabled"
    return [Issue(
        "application.no_secure_connection",
        f"No connection of {facts.name} goes through a secure port ({state}): nothing it connects to uses TLS.",
        "Connect it to the servers' secure ports (their port ID secure) on the Connections tab of the object that "
        "holds the TLS connections.",
    )]


def check_nodes(facts: ApplicationFacts) -> list[Issue]:
    if facts.app_type != AppType.COBROWSE_CLUSTER or len(facts.node_configs) < 2:
        return []
    shapes = {n.shape for n in facts.node_configs}
    passwords = {n.password_digest for n in facts.node_configs}
    if len(shapes) == 1 and len(passwords) == 1:
        return []
    if len(shapes) == 1:
        detail = "their truststore-passwords differ"
    else:
        detail = "; ".join(
            f"{n.name}: {n.provider or 'TLS disabled'}{' ' + n.trusted_ca if n.trusted_ca else ''}"
            for n in facts.node_configs[:10]
        )
    return [Issue(
        "application.nodes_inconsistent",
        f"The Nodes of {facts.name} are configured differently: {detail}.",
        "Every Node of a Cluster serves the same connections: give them the same security section.",
    )]
