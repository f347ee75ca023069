"""A host's options (section → name → value), as Genesys Administrator's host Options tab.

The ``security`` section holds the host level of the TLS parameters (``security.effective_tls``
reads them). The same rules as an application's options (``applications.options``): one validator
for names and values, the host catalogue below for the known ones (a select for a finite set), the
``[security]`` section for Security officers only, every change audited, all or nothing, and a stale
edit refused: the form carries the host's ``options_revision`` and a save made from an older page
changes nothing. Hosts hold no secrets: a secret's name is refused.
"""

from dataclasses import dataclass

from django.db import transaction

from applications import audit
from applications.catalogue import OptionSpec, OptionValueError, is_secret, validate_file_path
from applications.models import AuditEvent, Host, HostOption
from applications.option_text import name_problem, value_problem
from applications.options import OptionChange, OptionsInvalid, StaleEdit, may_change_option, refusal_message
from applications.paths import path_problem
from applications.restart import option_label
from applications.scheduling import request_checks

SECTION = "security"
OBJECT_TYPE = "host_options"
ALL_HOSTS = frozenset({"host"})

SEC_PROTOCOLS = ("", "SSLv23", "SSLv3", "TLSv1", "TLSv11", "TLSv12", "TLSv13")


def _spec(name: str, description: str, **kwargs) -> OptionSpec:
    return OptionSpec(SECTION, name, description, app_types=ALL_HOSTS, **kwargs)


# The host level of the Genesys TLS parameters (``tls`` and ``tls-mutual`` belong to ports only).
HOST_CATALOGUE: tuple[OptionSpec, ...] = (
    _spec("provider", "Security provider of the applications on this host: PEM (files), MSCAPI (the Windows "
          "certificate store), PKCS11 or JKS.", valid_values=("", "PEM", "MSCAPI", "PKCS11", "JKS"),
          value_hint="PEM, MSCAPI, PKCS11, JKS or empty"),
    _spec("certificate", "The host's certificate: a PEM file (PEM) or the certificate's thumbprint (MSCAPI).",
          value_hint="file path or thumbprint"),
    _spec("certificate-key", "The private key of the certificate (PEM provider).", value_hint="file path",
          host_path=True, validator=validate_file_path),
    _spec("trusted-ca", "The CA certificate(s) that verify the other side (PEM provider).",
          value_hint="file path", host_path=True, validator=validate_file_path),
    _spec("tls-crl", "Certificate revocation list (PEM file).", value_hint="file path", host_path=True,
          validator=validate_file_path),
    _spec("tls-target-name-check", "host: the client checks that the server's certificate names the host "
          "it connects to.", valid_values=("", "host"), value_hint="host or empty"),
    _spec("tls-target-name", "The name the server's certificate must carry (instead of the host name).",
          value_hint="host name"),
    _spec("cipher-list", "The ciphers allowed, separated by colons (OpenSSL names).",
          value_hint="cipher:cipher:…"),
    _spec("sec-protocol", "The lowest TLS protocol version.", valid_values=SEC_PROTOCOLS,
          value_hint="SSLv23, SSLv3, TLSv1, TLSv11, TLSv12, TLSv13 or empty"),
)
_BY_NAME = {spec.key: spec for spec in HOST_CATALOGUE}


def host_spec_for(section: str, name: str) -> OptionSpec | None:
    return _BY_NAME.get((section, name))


@dataclass(frozen=True)
class HostOptionRow:
    section: str
    name: str
    value: str


def option_rows(host: Host) -> list[HostOptionRow]:
    return [HostOptionRow(o.section, o.name, o.value) for o in host.options.order_by("section", "name")]


def change_problem(host: Host, change: OptionChange, actor) -> str | None:
    """Why this change is refused (None: acceptable). Nothing typed is trimmed or re-cased."""
    error = name_problem("section", change.section) or name_problem("option", change.name)
    if error:
        return error
    if is_secret(change.section, change.name):
        return "a host holds no secrets: set passwords on the application (its Security tab)"
    if not may_change_option(actor, change.section, change.name):
        return refusal_message(change.section, change.name)
    if change.value is None:
        return None
    error = value_problem(change.value)
    if error:
        return error
    spec = host_spec_for(change.section, change.name)
    if spec is None:
        return None
    try:
        value = spec.clean(change.value)
    except OptionValueError as exc:
        return str(exc)
    if value and spec.host_path:
        return path_problem(value, host.os_type, host=host.name)
    return None


@transaction.atomic
def host_options_apply(*, host: Host, changes: list[OptionChange], actor, expected_revision: int | None = None,
                       note: str = "") -> int:
    """Apply ``changes`` (``value`` None removes) all or nothing; returns how many options changed.
    ``expected_revision``: the host's options revision the form was opened at (``StaleEdit`` when it
    moved since). ``OptionsInvalid`` with every refused change (by index in ``row_errors``)."""
    locked = Host.objects.select_for_update(no_key=True).get(pk=host.pk)
    if expected_revision is not None and locked.options_revision != expected_revision:
        events = list(AuditEvent.objects.filter(object_type=OBJECT_TYPE, object_id=str(host.pk))
                      .order_by("-id")[:max(1, min(50, locked.options_revision - expected_revision))])[::-1]
        raise StaleEdit(events, locked.options_revision, what=f"the options of the host {locked.name}")
    existing = {(o.section, o.name): o for o in HostOption.objects.filter(host=locked)}
    row_errors: dict[int, str] = {}
    seen: set[tuple[str, str]] = set()
    work = []
    for index, change in enumerate(changes):
        key = (change.section, change.name)
        option = existing.get(key)
        if (option is None and change.value is None) or (option is not None and option.value == change.value):
            continue  # nothing to do
        problem = change_problem(locked, change, actor)
        if not problem and change.must_be_new and option is not None:
            problem = f"{option_label(*key)} already exists: change its value in its own row"
        if not problem and key in seen:
            problem = "given twice: keep one value"
        if problem:
            row_errors[index] = problem
            continue
        seen.add(key)
        work.append((change, option))
    if row_errors:
        errors: dict[str, str] = {}
        for index, message in row_errors.items():
            errors.setdefault(option_label(changes[index].section, changes[index].name), message)
        raise OptionsInvalid(errors, row_errors=row_errors)
    if not work:
        return 0
    audit_changes = {}
    for change, option in work:
        label = option_label(change.section, change.name)
        if change.value is None:
            option.delete()
            audit_changes[label] = [option.value, None]
        elif option is None:
            HostOption.objects.create(host=locked, section=change.section, name=change.name, value=change.value)
            audit_changes[label] = [None, change.value]
        else:
            audit_changes[label] = [option.value, change.value]
            option.value = change.value
            option.save(update_fields=["value", "updated_at"])
    locked.options_revision += 1
    locked.save(update_fields=["options_revision"])
    host.options_revision = locked.options_revision
    # A host's TLS parameters are a level of its applications' (and their clients') effective TLS.
    request_checks(list(locked.applications.values_list("pk", flat=True)))
    audit.record(actor=actor, action="update", object_type=OBJECT_TYPE, obj=locked,
                 object_repr=f"options of {locked.name}", changes=audit_changes, message=note)
    return len(work)


def export_host_cfg(host: Host) -> str:
    """The host's options as .cfg text (hosts hold no secrets). An option a .cfg file cannot carry (stored
    before today's rules) is left out and named in the header."""
    from applications.cfg import render_cfg, writable

    rows, left_out = [], []
    for section, name, value in host.options.order_by("section", "name").values_list("section", "name", "value"):
        if writable(section, name, value):
            rows.append((section, name, value))
        else:
            left_out.append(option_label(section, name))
    header = f"Options of the host {host.name} ({host.get_os_type_display()})."
    if left_out:
        header += f"\nNot exported (a line break or control character): {', '.join(left_out)}"
    return render_cfg(rows, header=header)


def import_host_cfg(*, host: Host, data: bytes, actor, expected_revision: int | None, note: str = "",
                    filename: str = "") -> int:
    """Set every option of a .cfg file on the host, all or nothing, through ``host_options_apply`` (the same
    validation, permissions, stale-edit check and audit); options not in the file stay. ``CfgError`` for a
    file that cannot be read, ``OptionsInvalid`` naming each refused line."""
    from applications.cfg import parse_cfg

    entries = parse_cfg(data)
    changes = [OptionChange(e.section, e.name, e.value) for e in entries]
    try:
        note = " ".join(part for part in (f"Imported from {filename}." if filename else "", note) if part)
        return host_options_apply(host=host, changes=changes, actor=actor, expected_revision=expected_revision,
                                  note=note)
    except OptionsInvalid as invalid:
        errors = {f"line {entries[i].line}: {option_label(entries[i].section, entries[i].name)}": message
                  for i, message in invalid.row_errors.items()}
        raise OptionsInvalid(errors, row_errors=invalid.row_errors, general=invalid.general) from None
