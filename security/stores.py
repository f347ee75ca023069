"""Trusted stores: their contents, password, and the artefact each provider needs.

PEM → one PEM file for ``trusted-ca``; JKS → a keystore (first CA under alias ``root``) whose
password goes into ``truststore-password``; MSCAPI → the console cannot write a Windows store, so it
hands over a ``.cer`` (one certificate) or ``.p7b`` (several) to import (R7).
"""

import hashlib
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q

from applications import audit, versioning
from applications.models import Application, Option
from applications.scheduling import request_checks
from cobrowse_admin import secret_box
from security import store_history
from security.models import Certificate, Provider, StoreAssignment, StoreEntry, StoreUse, TrustedStore

AUDITED_FIELDS = ["name", "provider", "path", "windows_path", "description"]
# Columns of a store that its form never writes: the checks own them.
NOT_EDITED = {"id", "created_at", "checks_requested_at", "last_validated_at"}


@dataclass(frozen=True)
class Artifact:
    filename: str
    content: bytes
    content_type: str


def store_password(store: TrustedStore) -> str:
    """The clear JKS password, for building the keystore. Never for templates, logs or exports."""
    return secret_box.decrypt(store.password_encrypted)


def member_ders(store: TrustedStore) -> list[bytes]:
    return [bytes(der) for der in store.entries.order_by("position", "id").values_list("certificate__der", flat=True)]


def contents_digest(fingerprints: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(fingerprints)).encode()).hexdigest()


def base_filename(store: TrustedStore) -> str:
    """The file name the store has on the host (from its path), or one made from its name.

    An MSCAPI store's file is named in the certutil and PowerShell commands shown with it: its name
    comes from the store's name with everything but letters, digits and ``- _ .`` replaced by ``-``, so
    it holds no quote, percent sign or other character a command line would act on.
    """
    if store.provider != Provider.MSCAPI:
        for path in store.paths:
            name = path.replace("\\", "/").rsplit("/", 1)[-1]
            if name:
                return name
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in store.name).strip("-.") or "store"


def build_artifact(store: TrustedStore) -> Artifact:
    """The file for this store. Raises CertificateError when it cannot be built (e.g. no password)."""
    from security.crypto.build import build_der, build_jks, build_p7b, build_pem

    ders = member_ders(store)
    name = base_filename(store)
    if store.provider == Provider.PEM:
        return Artifact(with_suffix(name, ".pem"), build_pem(ders), "application/x-pem-file")
    if store.provider == Provider.JKS:
        aliases = list(store.entries.order_by("position", "id").values_list("alias", flat=True))
        return Artifact(with_suffix(name, ".jks"), build_jks(ders, store_password(store), aliases=aliases),
                        "application/octet-stream")
    if len(ders) == 1:
        return Artifact(with_suffix(name, ".cer"), build_der(ders[0]), "application/pkix-cert")
    return Artifact(with_suffix(name, ".p7b"), build_p7b(ders), "application/x-pkcs7-certificates")


def with_suffix(name: str, suffix: str) -> str:
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return stem + suffix


def applications_using(store: TrustedStore) -> list[int]:
    """Applications set from this store, or whose ``trusted-ca`` names its path (``users_query``)."""
    sql, params = users_query([store])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT application_id FROM ({sql}) users ORDER BY application_id", params)
        return [app_id for (app_id,) in cursor.fetchall()]


TRUSTED_CA_PREFIX = 200  # characters of a trusted-ca value its index holds (applications.Option)


@dataclass
class StoreHealth:
    """A store's own findings as its page shows them (``security/_store_findings.html``), counted."""

    errors: int = 0
    warnings: int = 0
    infos: int = 0
    first_problem: str = ""


USED_BY_NAMES = 3  # names a list shows of the applications using a store; the page shows them all


def users_query(stores: list[TrustedStore] | None) -> tuple[str, list]:
    """SQL selecting (store id, application id) once for each application using one of ``stores`` (every
    store: None): what ``applications_using`` says, assignments and ``trusted-ca`` options naming one of
    the store's paths (found through their partial index on the value's first characters). For counting
    in the database: reading every user of a page's stores into Python grew with the estate."""
    assignment, option, store = StoreAssignment._meta.db_table, Option._meta.db_table, TrustedStore._meta.db_table
    # As Django's Substr writes it, which the index was made with: PostgreSQL uses an expression index only
    # for the same function (its SUBSTR is another one).
    substr = "SUBSTRING" if connection.vendor == "postgresql" else "SUBSTR"
    of_stores = of_paths = ""
    ids: list = []
    prefixes: list = []
    if stores is not None:
        ids = [s.pk for s in stores] or [None]
        prefixes = sorted({path[:TRUSTED_CA_PREFIX] for s in stores for path in s.paths}) or [""]
        of_stores = f" AND s.id IN ({', '.join(['%s'] * len(ids))})"
        of_paths = f" AND {substr}(o.value, 1, {TRUSTED_CA_PREFIX}) IN ({', '.join(['%s'] * len(prefixes))})"
    # One arm per path column: an OR of the two made the database compare every option with every store.
    named = [f"SELECT s.id, o.application_id FROM {option} o JOIN {store} s ON o.value = s.{column} "
             f"WHERE o.section = 'security' AND o.name = 'trusted-ca' AND o.value <> ''{of_paths}{of_stores}"
             for column in ("path", "windows_path")]
    assigned = (f"SELECT s.id AS store_id, a.application_id FROM {assignment} a JOIN {store} s "
                f"ON s.id = a.store_id WHERE 1 = 1{of_stores}")
    sql = " UNION ".join([assigned, *named])
    return sql, [*ids, *prefixes, *ids, *prefixes, *ids]


def users_count(stores: list[TrustedStore] | None = None) -> dict[int, int]:
    """The number of applications using each of ``stores`` (every store: None) by id (absent: none), in
    one grouped query."""
    sql, params = users_query(stores)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT store_id, COUNT(*) FROM ({sql}) users GROUP BY store_id", params)
        return dict(cursor.fetchall())


def users_first_names(stores: list[TrustedStore], size: int) -> dict[int, tuple[int, list[tuple[str, int]]]]:
    """For each of ``stores`` used by applications: how many, and the first ``size`` of them as (name, id)
    by name (in code point order, as Python sorts), in one query.

    The users are the pairs the database keeps with at least one way (``StoreUse``, updated in place by the
    triggers of migration 0016, so exact at commit), read through their unique index on (store,
    application). ``users_query`` finds the same pairs from the assignments and the ``trusted-ca`` options,
    three arms joined to the stores, which cost more than the names: 50 stores of 200 (886 users, 5,000
    applications) 4.3 ms, now 1.9 ms; 20 stores at 500 applications 1.9 ms, now 0.7 ms."""
    if not stores:
        return {}
    ids = [s.pk for s in stores]
    sql = (f"SELECT store_id, application_id FROM {StoreUse._meta.db_table} WHERE ways > 0 "
           f"AND store_id IN ({', '.join(['%s'] * len(ids))})")
    params = ids
    # Code point order on both databases: SQLite compares UTF-8 bytes; PostgreSQL does with "C".
    by_name = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    app = Application._meta.db_table
    ranked = (f"SELECT users.store_id, app.name, app.id, COUNT(*) OVER (PARTITION BY users.store_id) AS total, "
              f"ROW_NUMBER() OVER (PARTITION BY users.store_id ORDER BY app.name{by_name}, app.id) AS position "
              f"FROM ({sql}) users JOIN {app} app ON app.id = users.application_id")
    found: dict[int, tuple[int, list[tuple[str, int]]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT store_id, name, id, total FROM ({ranked}) ranked WHERE position <= %s "
                       "ORDER BY store_id, position", [*params, size])
        for store_id, name, app_id, total in cursor.fetchall():
            found.setdefault(store_id, (total, []))[1].append((name, app_id))
    return found


def with_health(stores: list[TrustedStore], *, names: bool = True) -> None:
    """Set on each store of a page ``health`` (its own stored findings, counted), ``certificate_count``,
    ``used_by`` (the number of applications using it) and ``used_by_names`` (the first few, by name),
    in three queries. Without ``names`` (the API's list shows none) ``used_by_names`` stays empty and the
    users are only counted: naming them joins every application, which grows with the estate."""
    from security.models import Finding

    health = {s.pk: StoreHealth() for s in stores}
    for store_id, severity, message in Finding.objects.filter(store_id__in=list(health)).order_by(
            "severity", "code").values_list("store_id", "severity", "message"):
        row = health[store_id]
        if severity == "error":
            row.errors += 1
        elif severity == "warning":
            row.warnings += 1
        else:
            row.infos += 1
        if not row.first_problem and severity in ("error", "warning"):
            row.first_problem = message
    from django.db.models import Count

    members = dict(StoreEntry.objects.filter(store_id__in=list(health)).order_by().values("store").annotate(
        n=Count("pk")).values_list("store", "n"))
    if names:
        users = users_first_names(stores, USED_BY_NAMES)
    else:
        users = {store_id: (count, []) for store_id, count in users_count(stores).items()} if stores else {}
    for store in stores:
        store.health = health[store.pk]
        store.certificate_count = members.get(store.pk, 0)
        store.used_by, store.used_by_names = users.get(store.pk, (0, []))


def stores_by_use(*, descending: bool, number, size: int):
    """A page of the stores ordered by the number of applications using them (``applications_using``),
    fewest first, then by name. The counts are those the database keeps per store (``security.store_users``):
    counting every store's users on each request grew with the estate (one ``trusted-ca`` row per Co-browse
    application)."""
    from django.core.paginator import Paginator

    from security.store_users import kept_users

    counts = kept_users()
    everything = TrustedStore.objects.values_list("pk", "name")
    ordered = sorted(everything, key=lambda s: (counts.get(s[0], 0), s[1]), reverse=descending)
    page = Paginator([pk for pk, _name in ordered], size).get_page(number)
    wanted = list(page.object_list)
    loaded = TrustedStore.objects.in_bulk(wanted)
    page.object_list = [loaded[pk] for pk in wanted if pk in loaded]
    return page


def request_store_checks(store: TrustedStore) -> None:
    from django.utils import timezone

    TrustedStore.objects.filter(pk=store.pk).update(checks_requested_at=timezone.now())
    transaction.on_commit(lambda: send_store_checks(store.pk))
    request_checks(applications_using(store))


def send_store_checks(store_id: int) -> None:
    import logging

    try:
        from security.tasks import validate_store

        validate_store.delay(store_id)
    except Exception as exc:  # noqa: BLE001 - broker down: the sweep picks the request up later
        logging.getLogger(__name__).warning("Could not enqueue checks for store %s (%s).", store_id, exc)


def store_state(store: TrustedStore) -> dict:
    """What the store form edits, as stored: its fields, its members in order and its password
    (the token, never the clear value; the version is a keyed digest of this)."""
    state = versioning.column_state(store, AUDITED_FIELDS)
    state["certificates"] = list(store.entries.order_by("position", "id").values_list("certificate_id", flat=True))
    state["password"] = store.password_encrypted
    return state


def store_version(store: TrustedStore) -> str:
    """The version the store form or its delete confirmation carries (``versioning``)."""
    return versioning.version(store_state(store), versioning.about("store", store.pk))


def check_store_version(store: TrustedStore, expected_version: str | None) -> None:
    """``EditConflict`` unless ``store`` (as read) is the version the page was opened on."""
    versioning.check(expected=expected_version, state=store_state(store),
                     events_about=versioning.about("store", store.pk), what=f"the trusted store {store.name}")


def locked_store(store: TrustedStore, expected_version: str | None = None, *, deleting=False) -> TrustedStore:
    """The store as stored now, its row locked until the transaction ends: every change of its
    members locks it first, so they stay as read. ``EditConflict`` when not ``expected_version``."""
    current = TrustedStore.objects.select_for_update(no_key=not deleting).get(pk=store.pk)
    check_store_version(current, expected_version)
    return current


def lock_members(store: TrustedStore, certificates: list[Certificate]) -> None:
    """Lock the chosen certificates (FOR NO KEY UPDATE, which a certificate's delete waits for), or
    ``EditConflict`` when one was deleted since the form was opened: never an integrity error."""
    wanted = {c.pk for c in certificates}
    present = set(Certificate.objects.select_for_update(no_key=True).filter(pk__in=wanted).order_by("pk")
                  .values_list("pk", flat=True))
    if present != wanted:
        gone = Q(object_type="certificate", object_id__in=[str(pk) for pk in wanted - present], action="delete")
        raise versioning.EditConflict(what=f"the certificates chosen for the trusted store {store.name}",
                                      events=versioning.events_since(gone, None))


@transaction.atomic
def store_save(
    *,
    store: TrustedStore,
    certificates: list[Certificate],
    password: str | None,
    actor,
    expected_version: str | None = None,
    note: str = "",
    source: str = "edit",
) -> TrustedStore:
    """Create or update a store: fields already set on ``store``; ``password`` None keeps the old one.

    Updating: ``expected_version`` is the version the form was opened on (``store_version``);
    ``EditConflict`` when the store, its members or its password changed since, and nothing is
    saved. None saves unconditionally. ``note`` (the form's "Why") goes with the audit event and the
    version (``store_history.record``) a change makes.

    Aliases follow the document: the first CA is ``root``, the others unique names from their CN.
    """
    from security.crypto.build import jks_aliases

    creating = store.pk is None
    before = {} if creating else audit.snapshot(locked_store(store, expected_version), AUDITED_FIELDS)
    lock_members(store, certificates)
    password_changed = password is not None and password != store_password(store)
    if password is not None:
        store.password_encrypted = secret_box.encrypt(password) if password else ""
    if store.provider != Provider.JKS:
        store.password_encrypted = ""
    store.contents_digest = contents_digest([c.fingerprint_sha256 for c in certificates])
    if creating:
        store.save()
    else:
        # Not the whole row: the instance was read before the lock, and the checks own their columns.
        store.save(update_fields=[f.name for f in TrustedStore._meta.concrete_fields if f.name not in NOT_EDITED])
    old_members = set(store.entries.values_list("certificate_id", flat=True))
    StoreEntry.objects.filter(store=store).delete()
    aliases = jks_aliases([bytes(c.der) for c in certificates]) if certificates else []
    StoreEntry.objects.bulk_create(
        StoreEntry(store=store, certificate=cert, alias=alias, position=index)
        for index, (cert, alias) in enumerate(zip(certificates, aliases, strict=True))
    )
    changes = audit.field_changes(before, audit.snapshot(store, AUDITED_FIELDS))
    new_members = {c.pk for c in certificates}
    if new_members != old_members:
        changes["certificates"] = [len(old_members), len(new_members)]
        # Which ones, by name: what someone whose save conflicts with this one needs to know.
        removed = Certificate.objects.filter(pk__in=old_members - new_members).order_by("common_name")
        if removed:
            changes["removed"] = ["; ".join(str(c) for c in removed), None]
        added = [c for c in certificates if c.pk not in old_members]
        if added and not creating:
            changes["added"] = [None, "; ".join(str(c) for c in added)]
    if password_changed:
        changes["password"] = [None, audit.SECRET_CHANGED]  # never the value
    request_store_checks(store)  # before the audit event, which takes the chain's head: the last lock
    if creating or changes:
        audit.record(actor=actor, action="create" if creating else "update", object_type="store", obj=store,
                     changes=changes, message=note)
        store_history.record(store, actor=actor, note=note, source=source)
    return store


@dataclass
class StoreSaved:
    """A store form saved: the store, and the applications set from it that took its new path or
    password (``followed``; their restart is tracked) or could not (``not_followed``, why)."""

    store: TrustedStore
    followed: list[Application]
    not_followed: list[str]


def form_members(form) -> list[Certificate]:
    """The members a valid ``StoreForm`` gives its store, in the file's order: the ones already in the
    store keep their place, the ones added go after them in trust order (``certificates.trust_order``)."""
    from security.certificates import trust_order

    store = form.instance
    chosen = list(form.cleaned_data["certificates"])
    current = list(Certificate.objects.filter(entries__store=store).order_by("entries__position")) if store.pk else []
    kept = [c for c in current if c in chosen]
    return kept + trust_order([c for c in chosen if c not in kept])


def members_change(form) -> bool:
    """Whether a valid ``StoreForm`` of an existing store changes which certificates it holds."""
    store = form.instance
    if store.pk is None:
        return False
    current = set(store.entries.values_list("certificate_id", flat=True))
    return {c.pk for c in form.cleaned_data["certificates"]} != current


def store_form_save(*, form, actor, expected_version: str | None) -> StoreSaved:
    """Save a valid ``StoreForm`` (the browser's and the API's one write path).

    Members already in the store keep their place; the ones added go after them in trust order
    (``certificates.trust_order``). ``expected_version`` (updating) as in ``store_save``. When the
    path, provider or password changed, the applications set from the store follow it
    (``section.store_changed``)."""
    from security.section import store_changed

    store = form.instance
    editing = store.pk is not None
    moved = (form.initial.get("path", ""), form.initial.get("windows_path", ""), form.initial.get("provider", ""))
    ordered = form_members(form)
    password = form.new_password()
    store = store_save(store=form.save(commit=False), certificates=ordered, password=password, actor=actor,
                       expected_version=expected_version if editing else None, note=form.note)
    followed, not_followed = [], []
    if editing and ((store.path, store.windows_path, store.provider) != moved or password):
        followed, not_followed = store_changed(store=store, actor=actor)
    return StoreSaved(store, followed, not_followed)


@transaction.atomic
def store_delete(*, store: TrustedStore, actor, expected_version: str | None = None) -> None:
    """Delete the store; ``expected_version`` as in ``store_save``."""
    store = locked_store(store, expected_version, deleting=True)
    apps = applications_using(store)  # before the delete: their checks must run again
    name = str(store)
    store.delete()
    request_checks(apps)  # before the audit event, which takes the chain's head: the last lock
    audit.record(actor=actor, action="delete", object_type="store", object_repr=name)


def stores_for_path(path: str) -> list[TrustedStore]:
    return list(TrustedStore.objects.filter(Q(path=path) | Q(windows_path=path))) if path else []


def store_for_application(app: Application) -> TrustedStore | None:
    """The store chosen for the application in the security form; otherwise the only store whose
    path is the application's ``trusted-ca`` (None when unknown or ambiguous)."""
    assignment = StoreAssignment.objects.filter(application=app).select_related("store").first()
    if assignment:
        return assignment.store
    option = Option.objects.filter(application=app, section="security", name="trusted-ca").first()
    if option is None or not option.value:
        return None
    matches = list(TrustedStore.objects.filter(Q(path=option.value) | Q(windows_path=option.value))[:2])
    return matches[0] if len(matches) == 1 else None
