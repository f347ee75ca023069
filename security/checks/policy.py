"""The TLS policy (issue 14, point 4): rules over the *effective* TLS parameters of ports and connections.

Pure functions from facts to issues, like the other checks. The parameters come only from the resolver
(``security.effective_tls``): a port's facts carry its server-side ``EffectiveTls``, a connection's its
client-side one (and the server side of the port it targets). ``security.policy`` gathers the facts.

Each rule can be switched off and has its thresholds in the settings (``TLS_POLICY``, see
``security.policy.policy_settings``); a rule has one or two stable codes (a server-side and a
client-side one where it applies to both).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from applications.text import quoted

from .codes import Issue

CONFIG_SERVER = "config_server"


@dataclass(frozen=True)
class Rule:
    name: str  # the setting's word, stable
    title: str
    codes: tuple[str, ...]

    @property
    def search(self) -> str:
        """The findings page's text that finds every code of the rule (a port's and a client's share a tail)."""
        tails = {code.split("_", 1)[1] for code in self.codes}
        return self.codes[0] if len(self.codes) == 1 or len(tails) != 1 else tails.pop()


RULES: tuple[Rule, ...] = (
    Rule("min_protocol", "sec-protocol is at least the minimum on every secure port and client",
         ("policy.port_protocol_below_minimum", "policy.client_protocol_below_minimum")),
    Rule("target_name_check", "Every client of a secure port checks the server's host name "
         "(tls-target-name-check=host)", ("policy.client_no_name_check",)),
    Rule("mutual_client_certificate", "Every client of a mutual TLS port has a certificate",
         ("policy.mutual_client_no_certificate",)),
    Rule("mutual_crl", "Every mutual TLS port checks revocation (tls-crl)", ("policy.mutual_no_crl",)),
    Rule("allowed_ciphers", "Every cipher-list holds only allowed ciphers",
         ("policy.port_cipher_not_allowed", "policy.client_cipher_not_allowed")),
    Rule("server_certificate", "Every secure port's server has a certificate", ("policy.server_no_certificate",)),
    Rule("upgrade_port", "Only Configuration Server connections use upgrade-mode ports",
         ("policy.upgrade_port_misused",)),
    Rule("backup_pair", "A primary server and its backup have the same secure ports and TLS parameters",
         ("policy.backup_mismatch",)),
)
RULES_BY_NAME = {rule.name: rule for rule in RULES}
POLICY_CODES: tuple[str, ...] = tuple(code for rule in RULES for code in rule.codes)
RULE_OF_CODE = {code: rule for rule in RULES for code in rule.codes}

# Protocol versions as Genesys writes them in sec-protocol (and the spellings operators use), oldest first.
# SSLv23 is OpenSSL's "negotiate anything from SSLv3": as weak as its floor.
PROTOCOL_RANK = {"SSLV2": 0, "SSLV3": 1, "SSLV23": 1, "TLSV1": 2, "TLSV10": 2, "TLSV11": 3, "TLSV12": 4,
                 "TLSV13": 5}
PROTOCOL_NAMES = ("SSLv3", "TLSv1", "TLSv11", "TLSv12", "TLSv13")

# TLS 1.2 AEAD suites with forward secrecy and the TLS 1.3 suites, in OpenSSL's names (Genesys C++ servers)
# and IANA's (Platform SDK for Java), the default allowed list.
DEFAULT_ALLOWED_CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    "DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
)

# The parameters a backup server must have as its primary has them on each secure port. The certificate,
# its key and the name checked are the host's own: only whether they are set is compared.
PAIR_SAME_VALUE = ("tls", "tls-mutual", "provider", "trusted-ca", "tls-crl", "tls-target-name-check",
                   "cipher-list", "sec-protocol")
PAIR_SAME_PRESENCE = ("certificate", "certificate-key")


@dataclass(frozen=True)
class PolicySettings:
    enabled: frozenset[str] = frozenset(POLICY_CODES)
    min_protocol: str = "TLSv12"
    allowed_ciphers: tuple[str, ...] = DEFAULT_ALLOWED_CIPHERS

    def on(self, code: str) -> bool:
        return code in self.enabled

    def rule_on(self, rule: Rule) -> bool:
        return any(code in self.enabled for code in rule.codes)


class PolicySettingsError(ValueError):
    """A TLS_POLICY setting the console cannot use (named in the message)."""


def protocol_key(value: str) -> str:
    return re.sub(r"[\s._-]", "", value or "").upper()


def protocol_rank(value: str) -> int | None:
    """The strength of a sec-protocol value, None for a value the console does not know. A list of
    protocols (``TLSv11,TLSv12``) is as weak as its weakest."""
    ranks = [PROTOCOL_RANK.get(protocol_key(part)) for part in re.split(r"[,;:|\s]+", value.strip()) if part]
    if not ranks or any(rank is None for rank in ranks):
        return None
    return min(ranks)


def parse_policy(raw: dict[str, Any]) -> PolicySettings:
    """``TLS_POLICY`` as the settings give it; ``PolicySettingsError`` names what is wrong."""
    unknown_keys = set(raw) - {"enabled", "disabled", "min_protocol", "allowed_ciphers"}
    if unknown_keys:
        raise PolicySettingsError(f"TLS_POLICY has unknown key(s): {', '.join(sorted(unknown_keys))}.")
    enabled = set(expand(raw.get("enabled", POLICY_CODES), "enabled")) - set(expand(raw.get("disabled", ()),
                                                                                        "disabled"))
    min_protocol = str(raw.get("min_protocol", "TLSv12")).strip()
    if protocol_rank(min_protocol) is None or "," in min_protocol:
        raise PolicySettingsError(f"TLS_POLICY min_protocol {quoted(min_protocol)} is not a protocol: use one of "
                                  f"{', '.join(PROTOCOL_NAMES)}.")
    ciphers = raw.get("allowed_ciphers", DEFAULT_ALLOWED_CIPHERS)
    if isinstance(ciphers, str):
        ciphers = split_ciphers(ciphers)
    ciphers = tuple(str(c).strip() for c in ciphers if str(c).strip())
    if not ciphers:
        raise PolicySettingsError("TLS_POLICY allowed_ciphers is empty: every cipher-list would fail.")
    return PolicySettings(frozenset(enabled), min_protocol, ciphers)


def expand(names, key: str) -> list[str]:
    """Rule names and codes, as codes."""
    if isinstance(names, str):
        names = [n for n in re.split(r"[,\s]+", names) if n]
    codes = []
    for name in names:
        name = str(name).strip()
        if name == "all":
            codes += POLICY_CODES
        elif name in RULES_BY_NAME:
            codes += RULES_BY_NAME[name].codes
        elif name in RULE_OF_CODE:
            codes.append(name)
        elif name:
            raise PolicySettingsError(
                f"TLS_POLICY {key}: {quoted(name)} is neither a policy rule ({', '.join(RULES_BY_NAME)}), "
                "a policy code nor all.")
    return codes


def split_ciphers(value: str) -> list[str]:
    """An OpenSSL or Java cipher list: names separated by colons, commas or spaces."""
    return [part for part in re.split(r"[:,;\s]+", value.strip()) if part]


def ciphers_outside(value: str, allowed: tuple[str, ...]) -> list[str]:
    """The ciphers of a cipher-list the policy does not allow. ``!X`` and ``-X`` take ciphers away and
    ``@STRENGTH``-like directives order them: neither adds one."""
    allowed_set = {c.upper() for c in allowed}
    outside = []
    for part in split_ciphers(value):
        if part[0] in "!-@":
            continue
        name = part.lstrip("+")
        if name and name.upper() not in allowed_set:
            outside.append(name)
    return outside


# Facts: what the rules see. ``tls`` objects are ``security.effective_tls.EffectiveTls``.


@dataclass(frozen=True)
class PortFacts:
    server_name: str
    server_type: str
    port_id: str
    number: int
    mode: str
    tls: Any  # EffectiveTls, server side

    @property
    def label(self) -> str:
        return f"{self.server_name}:{self.port_id} ({self.number})"


@dataclass(frozen=True)
class ClientFacts:
    client_name: str
    server_name: str
    server_type: str
    port_id: str
    port_number: int
    port_mode: str
    tls: Any  # EffectiveTls, client side
    port_tls: Any  # EffectiveTls of the port it targets, server side

    @property
    def label(self) -> str:
        return f"{self.client_name} → {self.server_name}:{self.port_id} ({self.port_number})"


@dataclass(frozen=True)
class PairFacts:
    primary_name: str
    backup_name: str
    # port ID → (mode, server-side EffectiveTls) of each secure port
    primary_ports: dict[str, tuple[str, Any]] = field(default_factory=dict)
    backup_ports: dict[str, tuple[str, Any]] = field(default_factory=dict)


def is_on(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def origin(tls, name: str) -> str:
    """" (from Host cb-linux-01)": where the effective value comes from, as the resolver says."""
    parameter = tls.parameters.get(name)
    source = parameter.source if parameter is not None else None
    if source is None:
        return ""
    return f" (from {LEVEL_WORDS.get(source.level, source.level)} {source.object_name})"


LEVEL_WORDS = {"connection": "the connection", "application": "Application", "host": "Host", "port": "Port"}


def where_to_set(tls, name: str, default: str) -> str:
    """Where to change a parameter: at the level its value comes from, else ``default``."""
    parameter = tls.parameters.get(name)
    source = parameter.source if parameter is not None else None
    if source is None:
        return default
    return f"{LEVEL_WORDS.get(source.level, source.level)} {source.object_name}"


def protocol_issue(code: str, label: str, tls, settings: PolicySettings, default_place: str) -> list[Issue]:
    value = tls.value("sec-protocol")
    if not value:
        return []
    rank = protocol_rank(value)
    if rank is not None and rank >= protocol_rank(settings.min_protocol):
        return []
    why = "is not a protocol the console knows" if rank is None else f"is below the minimum {settings.min_protocol}"
    return [Issue(
        code,
        f"{label}: sec-protocol {quoted(value)}{origin(tls, 'sec-protocol')} {why}.",
        f"Set sec-protocol to {settings.min_protocol} (or newer) on "
        f"{where_to_set(tls, 'sec-protocol', default_place)}, or remove it there.",
    )]


def cipher_issue(code: str, label: str, tls, settings: PolicySettings, default_place: str) -> list[Issue]:
    value = tls.value("cipher-list")
    if not value:
        return []
    outside = ciphers_outside(value, settings.allowed_ciphers)
    if not outside:
        return []
    shown = ", ".join(outside[:5]) + (" …" if len(outside) > 5 else "")
    return [Issue(
        code,
        f"{label}: cipher-list{origin(tls, 'cipher-list')} holds cipher(s) the policy does not allow: {shown}.",
        f"Remove them from cipher-list on {where_to_set(tls, 'cipher-list', default_place)}; allowed: "
        f"{', '.join(settings.allowed_ciphers[:4])} … (TLS_POLICY allowed_ciphers).",
    )]


def check_port(facts: PortFacts, settings: PolicySettings) -> list[Issue]:
    """The rules of one listening port, server side; the issues go to its server application (one per
    port: ``detail_key`` is the port ID)."""
    tls = facts.tls
    if not is_on(tls.value("tls")):
        return []
    issues: list[Issue] = []
    place = f"Port {facts.label}"
    if settings.on("policy.port_protocol_below_minimum"):
        issues += protocol_issue("policy.port_protocol_below_minimum", f"Secure port {facts.label}", tls, settings,
                                 place)
    if settings.on("policy.port_cipher_not_allowed"):
        issues += cipher_issue("policy.port_cipher_not_allowed", f"Secure port {facts.label}", tls, settings, place)
    if settings.on("policy.server_no_certificate") and not tls.value("certificate"):
        issues.append(Issue(
            "policy.server_no_certificate",
            f"Secure port {facts.label} has no certificate: {facts.server_name} has nothing to present to its "
            "clients, the handshake fails.",
            f"Set certificate (and certificate-key) in the security options of {facts.server_name} or of its "
            f"Host, or in the transport parameters of the port {facts.port_id}.",
        ))
    if (settings.on("policy.mutual_no_crl") and is_on(tls.value("tls-mutual")) and not tls.value("tls-crl")):
        issues.append(Issue(
            "policy.mutual_no_crl",
            f"Mutual TLS port {facts.label} has no tls-crl: a revoked client certificate is still accepted.",
            f"Set tls-crl to the CA's certificate revocation list on the port {facts.port_id}, on "
            f"{facts.server_name} or on its Host.",
        ))
    return [Issue(i.code, i.message, i.hint, detail_key=facts.port_id) for i in issues]


def check_client(facts: ClientFacts, settings: PolicySettings) -> list[Issue]:
    """The rules of one client connection, client side."""
    tls, label = facts.tls, facts.label
    issues: list[Issue] = []
    if settings.on("policy.upgrade_port_misused") and facts.port_mode == "upgrade" \
            and facts.server_type != CONFIG_SERVER:
        issues.append(Issue(
            "policy.upgrade_port_misused",
            f"{label} goes through a port in upgrade mode, which only Configuration Server's connections use: "
            f"{facts.server_name} does not switch TLS on after the settings arrive.",
            f"Set the port {facts.port_id} of {facts.server_name} to secure mode (TLS from the first byte), or "
            "connect through its secure port.",
        ))
    if not is_on(tls.value("tls")):
        return issues
    place = f"the connection {label}"
    if settings.on("policy.client_protocol_below_minimum"):
        issues += protocol_issue("policy.client_protocol_below_minimum", label, tls, settings, place)
    if settings.on("policy.client_cipher_not_allowed"):
        issues += cipher_issue("policy.client_cipher_not_allowed", label, tls, settings, place)
    check = tls.value("tls-target-name-check")
    if settings.on("policy.client_no_name_check") and (check or "").strip().lower() != "host":
        state = f"is {quoted(check)}{origin(tls, 'tls-target-name-check')}" if check else "is not set"
        issues.append(Issue(
            "policy.client_no_name_check",
            f"{label}: tls-target-name-check {state}: the client accepts any trusted certificate, whatever "
            "host it names.",
            f"Set tls-target-name-check=host on {where_to_set(tls, 'tls-target-name-check', place)} (or in the "
            f"security options of {facts.client_name}).",
        ))
    if settings.on("policy.mutual_client_no_certificate") and is_on(facts.port_tls.value("tls-mutual")) \
            and not tls.value("certificate"):
        issues.append(Issue(
            "policy.mutual_client_no_certificate",
            f"{label}: the port asks for a client certificate (tls-mutual=1) but {facts.client_name} has none: "
            "the server refuses the connection.",
            f"Set certificate and certificate-key in the transport parameters of this connection, or in the "
            f"security options of {facts.client_name} or of its Host.",
        ))
    return issues


def port_shape(mode: str, tls) -> dict[str, str]:
    shape = {"mode": mode}
    for name in PAIR_SAME_VALUE:
        shape[name] = tls.value(name) or ""
    for name in PAIR_SAME_PRESENCE:
        shape[name] = "set" if tls.value(name) else "not set"
    return shape


def check_pair(facts: PairFacts, settings: PolicySettings) -> list[Issue]:
    """A primary server and its backup: the same secure ports, each with the same TLS parameters. The
    issue goes to the primary (whose form names the backup)."""
    if not settings.on("policy.backup_mismatch"):
        return []
    differences = []
    primary, backup = facts.primary_ports, facts.backup_ports
    for port_id in sorted(set(primary) - set(backup)):
        differences.append(f"{facts.backup_name} has no secure port {port_id}")
    for port_id in sorted(set(backup) - set(primary)):
        differences.append(f"{facts.primary_name} has no secure port {port_id}")
    for port_id in sorted(set(primary) & set(backup)):
        a, b = port_shape(*primary[port_id]), port_shape(*backup[port_id])
        for name in a:
            if a[name] != b[name]:
                differences.append(f"port {port_id}: {name} {quoted(a[name]) if a[name] else 'empty'} against "
                                   f"{quoted(b[name]) if b[name] else 'empty'}")
    if not differences:
        return []
    shown = "; ".join(differences[:5]) + (" …" if len(differences) > 5 else "")
    return [Issue(
        "policy.backup_mismatch",
        f"{facts.primary_name} and its backup server {facts.backup_name} listen differently: {shown}. After a "
        "switchover the clients' TLS would not work the same.",
        f"Give {facts.backup_name} the same secure ports with the same TLS parameters as {facts.primary_name} "
        "(Server Info tab, security options, Host options).",
    )]
