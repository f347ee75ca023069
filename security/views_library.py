"""Certificate library (upload with preview, list, detail, downloads) and trusted stores."""

import base64
import secrets

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from django.views.decorators.http import require_http_methods, require_safe

from applications.links import url_for_ids
from applications.paths import UNIX, WINDOWS
from applications.sorting import Column, page_query, sort_by
from applications.versioning import EditConflict, posted_version
from cobrowse_admin.access import access_required
from security import certificates as cert_service
from security import stores as store_service
from security.commands import CommandRefused, keytool_list, mscapi_commands
from security.crypto.errors import CertificateError
from security.forms_library import ConfirmImportForm, FetchForm, FetchImportForm, StoreForm, UploadForm
from security.models import Certificate, Provider, StoreEntry, TrustedStore
from security.panels import certificate_panels
from security.probe import FetchFailed, examine_server
from security.templatetags.security_text import fingerprint, role_label
from security.timeline import SHORT_LIVED_DAYS, bars_svg, build_timeline

PREVIEW_SESSION_KEY = "certificate-import-preview"
PAGE_SIZE = 50


def soon_days() -> int:
    return settings.CERTIFICATE_EXPIRY_WARNING_DAYS


CERTIFICATE_COLUMNS = [
    Column("name", "Name", ["common_name", "subject", "pk"]),
    Column("issuer", "Issuer", ["issuer", "pk"]),
    Column("valid_until", "Valid until", ["not_after", "pk"]),
    Column("role", "Role", ["-is_ca", "not_after", "pk"]),
    Column("key", "Key", ["key_type", "key_size", "pk"]),
    Column("signature", "Signature", ["signature_hash", "pk"]),
    Column("stores", "Stores", ["store_count", "not_after", "pk"]),
    Column("fingerprint", "Fingerprint (SHA-256)", ["fingerprint_sha256"]),
]


@access_required
@require_safe
def certificate_list(request):
    now = timezone.now()
    certs = Certificate.objects.annotate(store_count=store_count())
    text = request.GET.get("q", "").strip()
    certs = certs.filter(cert_service.text_condition(text))
    soon = now + timezone.timedelta(days=soon_days())
    # The dashboard's card: expired or expiring within the warning threshold, soonest first.
    expiring = request.GET.get("expiring") == "on"
    if expiring:
        certs = certs.filter(cert_service.expiring_condition(now))
    sorting = sort_by(request.GET, CERTIFICATE_COLUMNS, default="valid_until")
    page = Paginator(certs.order_by(*sorting.order_by), PAGE_SIZE).get_page(request.GET.get("page"))
    detail = url_for_ids("security:certificate_detail")  # reversed once, not once a row
    for cert in page.object_list:
        cert.detail_url = detail(cert.pk)
        cert.row_html = mark_safe(certificate_row_html(cert, now=now, soon=soon))
    timeline = build_timeline(page.object_list, now=now, soon_days=soon_days(), url_of=lambda cert: cert.detail_url)
    return render(request, "security/certificate_list.html", {
        "page": page, "now": now, "soon": soon, "q": text, "query": page_query(request.GET), "sorting": sorting,
        "expiring": expiring,
        "timeline": timeline, "timeline_bars": mark_safe(bars_svg(timeline)) if timeline else "",
        "soon_days": soon_days(), "short_lived_days": SHORT_LIVED_DAYS,
    })


def store_count() -> Coalesce:
    """The stores holding a certificate (its entries), counted per row: PostgreSQL counts them for the 50 rows
    of a page only, after its order and LIMIT, and Django's count of the list leaves it out. A ``Count`` over
    the join grouped every certificate with its entries, for the count and again for the page (500
    certificates: 3.2 ms, growing with the library)."""
    entries = (StoreEntry.objects.filter(certificate=OuterRef("pk")).order_by().values("certificate")
               .annotate(n=Count("*")).values("n"))
    return Coalesce(Subquery(entries, output_field=IntegerField()), Value(0))


def certificate_row_html(cert: Certificate, *, now, soon) -> str:
    """A row of the certificate library, character for character what the template loop of
    ``security/certificate_list.html`` wrote (the template engine's lookups were most of the page); the
    fingerprint and the role through the same template helpers. Needs ``detail_url`` and ``store_count``."""
    state = "table-danger" if cert.not_after < now else "table-warning" if cert.not_after < soon else ""
    if cert.not_after < now:
        badge = ' <span class="badge text-bg-danger">expired</span>'
    elif cert.not_after < soon:
        badge = ' <span class="badge badge-restart">expires soon</span>'
    elif cert.not_before > now:
        badge = ' <span class="badge text-bg-secondary">not yet valid</span>'
    else:
        badge = ""
    role = escape(role_label(cert.role))
    if not cert.is_ca:
        role = f'<span class="badge text-bg-warning">{role}</span>'
    return (f'\n    <tr class="{state}">'
            f'\n      <td><a href="{escape(cert.detail_url)}">{escape(cert.common_name or cert.subject)}</a></td>'
            f'\n      <td class="small">{escape(truncatechars(cert.issuer, 60))}</td>'
            f'\n      <td class="text-nowrap">{date_format(localtime(cert.not_after), "Y-m-d")}{badge}</td>'
            f'\n      <td class="small">{role}</td>'
            f'\n      <td class="small">{escape(cert.key_type)} {escape(cert.key_size or "")}</td>'
            f'\n      <td class="small">{escape(cert.signature_hash or "—")}</td>'
            f'\n      <td>{cert.store_count}</td>'
            f'\n      <td class="text-nowrap">{fingerprint(cert.fingerprint_sha256, short=True)}</td>'
            f'\n    </tr>\n  ')


@access_required
@require_safe
def certificate_detail(request, pk):
    cert = get_object_or_404(Certificate, pk=pk)
    now = timezone.now()
    return render(request, "security/certificate_detail.html", {
        "cert": cert, "now": now, "soon": now + timezone.timedelta(days=soon_days()),
        "warnings": cert_service.certificate_warnings(
            is_ca=cert.is_ca, not_before=cert.not_before, not_after=cert.not_after, now=now),
        "stores": TrustedStore.objects.filter(entries__certificate=cert),
        "panels": certificate_panels(request, cert),
    })


@access_required
@require_safe
def certificate_download(request, pk, fmt):
    cert = get_object_or_404(Certificate, pk=pk)
    file = cert_service.certificate_file(cert, fmt)
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = content_disposition_header(True, file.filename)
    return response


@access_required
@require_http_methods(["GET", "HEAD", "POST"])
def certificate_upload(request):
    if request.method == "POST" and "token" in request.POST:
        return certificate_import_confirm(request)
    # Bound on every POST, even one with only files in it (a script's upload): never a silent blank form.
    # ``?store=ID``: the store the renewed CA goes into, chosen already (the link of an expiry notice).
    chosen = request.GET.get("store", "")
    form = (UploadForm(request.POST, request.FILES) if request.method == "POST"
            else UploadForm(initial={"store": int(chosen)} if chosen.isascii() and chosen.isdigit() else None))
    if request.method == "POST" and form.is_valid():
        previews = cert_service.preview_upload(form.cleaned_data["files"], form.cleaned_data["password"])
        unreadable = cert_service.unreadable_reasons(previews)
        if unreadable:
            # Nothing readable: back to the form with the reasons, where the password can be fixed.
            for field_name, reasons in unreadable.items():
                for reason in reasons:
                    form.add_error(field_name, reason)
            return render(request, "security/certificate_upload.html", {"form": form})
        store = form.cleaned_data["store"]
        token = secrets.token_urlsafe(16)
        # Only the certificates' DER goes into the session: never the file, the key or the password.
        request.session[PREVIEW_SESSION_KEY] = {
            "token": token,
            "store": store.pk if store else None,
            "items": [
                {"der": base64.b64encode(c.der).decode(), "kind": c.kind, "filename": c.filename, "warned": c.warned}
                for c in cert_service.pending_certificates(previews)
            ],
        }
        return render(request, "security/certificate_preview.html", {
            "previews": previews, "store": store, "confirm": ConfirmImportForm(initial={"token": token}),
            **cert_service.preview_counts(previews),
        })
    return render(request, "security/certificate_upload.html", {"form": form})


def certificate_import_confirm(request):
    form = ConfirmImportForm(request.POST)
    pending = request.session.get(PREVIEW_SESSION_KEY)
    if not form.is_valid() or not pending or pending["token"] != form.cleaned_data["token"]:
        messages.error(request, "That preview has expired or was already imported: upload the files again.")
        return redirect("security:certificate_upload")
    pending_certificates = [
        cert_service.PendingCertificate(base64.b64decode(item["der"]), item["kind"], item["filename"], item["warned"])
        for item in pending["items"]
    ]
    store = TrustedStore.objects.filter(pk=pending["store"]).first() if pending["store"] else None
    result, skipped = cert_service.import_pending(pending=pending_certificates,
                                                  accept_warnings=form.cleaned_data["accept_warnings"],
                                                  actor=request.user, store=store)
    del request.session[PREVIEW_SESSION_KEY]
    text = f"Imported {len(result.created)} certificate(s); {len(result.already_present)} were already in the library."
    if skipped:
        text += f" {skipped} with warnings were not imported (tick the box to import them)."
    if store:
        text += f" Added to the store {store}."
    messages.success(request, text)
    if store:
        return redirect(store)
    if len(result.created) == 1:
        return redirect(result.created[0])
    return redirect("security:certificate_list")


@access_required
@require_http_methods(["GET", "HEAD", "POST"])
def certificate_delete(request, pk):
    cert = get_object_or_404(Certificate, pk=pk)
    conflict = None
    if request.method == "POST":
        try:
            cert_service.certificate_delete(certificate=cert, actor=request.user,
                                            expected_version=posted_version(request))
        except EditConflict as exc:
            conflict = exc
        except ValueError:
            pass  # a store holds it: the page below says so
        else:
            messages.success(request, f"Deleted the certificate {cert}.")
            return redirect("security:certificate_list")
    stores = list(TrustedStore.objects.filter(entries__certificate=cert).order_by("name", "pk"))
    return render(request, "applications/confirm_delete.html", {
        "object": cert, "impact": {"trusted stores holding it (remove it from them first)": stores},
        "store_previews": removal_impacts(cert, stores),
        "blocked": bool(stores), "cancel_url": cert.get_absolute_url(),
        "opened_version": cert_service.certificate_version(cert), "conflict": conflict, "reload_url": request.path,
    })


def removal_impacts(cert: Certificate, stores: list[TrustedStore]) -> list:
    """For each store holding the certificate: the impact of removing it (``security.impact``)."""
    from security.impact import store_impact

    previews = []
    for store in stores:
        members = list(Certificate.objects.filter(entries__store=store).order_by("entries__position", "entries__id"))
        previews.append(store_impact(store, [c for c in members if c.pk != cert.pk]))
    return previews


# Trusted stores


@access_required
@require_safe
def store_list(request):
    sorting = sort_by(request.GET, store_columns())
    number = request.GET.get("page")
    if sorting.key == "used_by":
        page = store_service.stores_by_use(descending=sorting.descending, number=number, size=PAGE_SIZE)
    else:
        page = Paginator(sorting.apply(TrustedStore.objects.all()), PAGE_SIZE).get_page(number)
    store_service.with_health(page.object_list)
    with_links(page.object_list)
    return render(request, "security/store_list.html", {"page": page, "sorting": sorting,
                                                          "query": page_query(request.GET)})


def with_links(stores: list[TrustedStore]) -> None:
    """Each store's link and those of the applications it names (``used_by_names``), each pattern reversed
    once for the page rather than once a link (250 links on a page of 50 stores), then its row."""
    store_url, application_url = url_for_ids("security:store_detail"), url_for_ids("applications:detail")
    for store in stores:
        store.detail_url = store_url(store.pk)
        store.used_by_links = [(name, application_url(pk)) for name, pk in store.used_by_names]
        store.row_html = mark_safe(store_row_html(store))


def plural(count: int) -> str:
    return "" if count == 1 else "s"


def store_row_html(store: TrustedStore) -> str:
    """A row of the trusted stores list, character for character what the template loop of
    ``security/store_list.html`` wrote (the template engine's lookups were most of the page). Needs
    ``with_health`` and the links."""
    health = store.health
    paths = "".join(f"<div>{escape(path)}</div>" for path in (store.path, store.windows_path) if path) or "—"
    status = ("errors" if health.errors else "warnings" if health.warnings else
              "ok" if store.last_validated_at else "never")
    title = f' title="{escape(health.first_problem)}"' if health.first_problem else ""
    found = ""
    if health.errors:
        found += f'<span class="badge text-bg-danger">{health.errors} error{plural(health.errors)}</span>'
    if health.warnings:
        found += f' <span class="badge text-bg-warning">{health.warnings} warning{plural(health.warnings)}</span>'
    if not health.errors and not health.warnings:
        found += ('<span class="text-success">no problem found</span>' if store.last_validated_at else
                  '<span class="text-muted">not validated yet</span>')
    if store.checks_requested_at:
        found += ' <span class="badge text-bg-info">validation pending</span>'
    if store.used_by:
        users = ", ".join(f'<a href="{escape(url)}">{escape(name)}</a>' for name, url in store.used_by_links)
        if store.used_by > len(store.used_by_names):
            users += f' <a class="text-muted" href="{escape(store.detail_url)}">({store.used_by} in all)</a>'
    else:
        users = '<span class="text-muted">no application</span>'
    validated = (date_format(localtime(store.last_validated_at), "Y-m-d H:i") if store.last_validated_at
                 else "") or "never"
    return (f'\n    <tr><td><a href="{escape(store.detail_url)}">{escape(store.name)}</a></td>'
            f'<td>{escape(store.provider)}</td><td class="mono small option-value">{paths}</td>'
            f'<td>{store.certificate_count}</td>'
            f'\n      <td class="small" data-status="{status}"{title}>{found}</td>'
            f'\n      <td class="small" data-used-by="{store.used_by}">{users}</td>'
            f'\n      <td class="small text-nowrap">{escape(validated)}</td></tr>\n  ')


def store_columns() -> list[Column]:
    """The columns of the trusted stores list; Status sorts worst first (errors, then warnings),
    stores never validated after those validated without a problem."""
    return [
        Column("name", "Name", ["name"]),
        Column("provider", "Provider", ["provider", "name"]),
        Column("path", "Paths on the hosts (trusted-ca)", ["path", "windows_path", "name"]),
        Column("certificates", "Certificates", ["certificate_count", "name"],
               annotate={"certificate_count": Count("entries")}),
        Column("status", "Status", ["-error_count", "-warning_count", F("last_validated_at").asc(nulls_last=True),
                                    "name"],
               annotate={"error_count": Count("findings", filter=Q(findings__severity="error")),
                         "warning_count": Count("findings", filter=Q(findings__severity="warning"))}),
        # Sorted in Python (security.stores.stores_by_use): the order names no column.
        Column("used_by", "Used by", ["name"]),
        Column("validated", "Last validated", [F("last_validated_at").desc(nulls_last=True), "name"]),
    ]


@access_required
@require_safe
def store_detail(request, pk):
    store = get_object_or_404(TrustedStore, pk=pk)
    entries = store.entries.select_related("certificate").order_by("position")
    now = timezone.now()
    context = {
        "store": store, "entries": entries, "now": now, "soon": now + timezone.timedelta(days=soon_days()),
        "findings": store.findings.all() if hasattr(store, "findings") else [],
        "used_by": store_service.applications_using(store),
    }
    if store.provider == Provider.MSCAPI and entries:
        context["mscapi"] = mscapi_instructions(store)
    if store.provider == Provider.JKS:
        context["keytool"] = keytool_hints(store)
    from applications.models import Application

    context["used_by"] = Application.objects.filter(pk__in=context["used_by"]).order_by("name")
    return render(request, "security/store_detail.html", context)


def mscapi_instructions(store: TrustedStore) -> dict:
    """R7: the console cannot write a Windows store; it hands over the file and the commands."""
    filename = store_service.build_artifact(store).filename
    try:
        return {"filename": filename, **mscapi_commands(filename)}
    except CommandRefused as exc:
        return {"filename": filename, "refused": str(exc)}


def keytool_hints(store: TrustedStore) -> list[dict]:
    """``keytool -list`` for each path of a JKS store, quoted for the shell of that host."""
    hints = []
    for family, label, path in ((UNIX, "Linux/Unix hosts", store.path), (WINDOWS, "Windows hosts", store.windows_path)):
        if not path:
            continue
        try:
            hints.append({"label": label, "path": path, "command": keytool_list(path, family)})
        except CommandRefused as exc:
            hints.append({"label": label, "path": path, "refused": str(exc)})
    return hints


@access_required
@require_http_methods(["GET", "HEAD", "POST"])
def store_edit(request, pk=None):
    store = get_object_or_404(TrustedStore, pk=pk) if pk else TrustedStore()
    # Before the form reads the members it shows: a change in between makes a save conflict, never lost.
    version = store_service.store_version(store) if pk else ""
    conflict = preview = None
    if request.method == "POST":
        version = posted_version(request) if pk else ""
    form = StoreForm(with_sealed_password(request.POST) if request.method == "POST" else None, instance=store)
    if request.method == "POST":
        try:
            if pk:
                store_service.check_store_version(store, version)  # said before any form error
            if form.is_valid():
                preview = impact_to_confirm(request, form, version)
                if preview is None:
                    return save_store(request, form, store, version=version)
        except EditConflict as exc:
            conflict = exc
    return render(request, "security/store_form.html", {
        "form": form, "store": store, "title": f"Edit {store}" if pk else "New trusted store",
        "cancel_url": store.get_absolute_url() if pk else reverse("security:store_list"),
        "opened_version": version, "conflict": conflict, "reload_url": request.path,
        "preview": preview, "impact_seen": impact_key(version, form) if preview else "",
        "sealed_password": sealed_password(form) if preview else "",
    })


SEALED_PASSWORD = "password_sealed"


def with_sealed_password(data):
    """The posted store form; on the impact confirm step, the password typed before comes back sealed
    (encrypted with the console's key, never in clear) unless the officer typed one again."""
    from cobrowse_admin import secret_box

    token = data.get(SEALED_PASSWORD, "")
    if not token or data.get("password") or data.get("password_again"):
        return data
    data = data.copy()
    data["password"] = data["password_again"] = secret_box.decrypt(token)
    return data


def sealed_password(form: StoreForm) -> str:
    from cobrowse_admin import secret_box

    password = form.cleaned_data.get("password") or ""
    return secret_box.encrypt(password) if password else ""


def impact_key(version: str, form: StoreForm) -> str:
    """What the officer confirmed: the store's version and the members chosen. Another choice (or the
    store changed meanwhile) needs its own preview."""
    import hashlib

    chosen = sorted(c.pk for c in form.cleaned_data["certificates"])
    return hashlib.sha256(f"{version}|{chosen}".encode()).hexdigest()[:32]


def impact_to_confirm(request, form: StoreForm, version: str):
    """The impact preview when the save changes the store's members and the officer has not confirmed
    this very change yet; None when it may be saved."""
    from security.impact import store_impact

    if not store_service.members_change(form):
        return None
    if request.POST.get("impact_seen") == impact_key(version, form):
        return None
    stored = TrustedStore.objects.get(pk=form.instance.pk)  # its paths as stored: who uses it now
    preview = store_impact(stored, store_service.form_members(form))
    # A store no application reads: no connection, no restart, nothing to confirm.
    return preview if preview.impact.connections or preview.restart else None


def save_store(request, form: StoreForm, store: TrustedStore, *, version: str):
    """Save a valid store form (``EditConflict`` when the store changed since ``version``)."""
    saved = store_service.store_form_save(form=form, actor=request.user,
                                          expected_version=version if store.pk else None)
    messages.success(request, f"Saved the trusted store {saved.store}.")
    follow_messages(request, saved.followed, saved.not_followed)
    if "_apply" in request.POST:
        return redirect("security:store_edit", saved.store.pk)
    return redirect(saved.store)


def follow_messages(request, changed, problems) -> None:
    if changed:
        names = ", ".join(app.name for app in changed)
        messages.info(request, f"Updated the security section of {names}: restart required to take effect.")
    for problem in problems:
        messages.warning(request, f"Not updated: {problem}")


def follow_store_in_applications(request, store: TrustedStore) -> None:
    """Applications set from this store take its new path or password (restart tracking applies)."""
    from security.section import store_changed

    follow_messages(request, *store_changed(store=store, actor=request.user))


@access_required
@require_http_methods(["GET", "HEAD", "POST"])
def store_delete(request, pk):
    store = get_object_or_404(TrustedStore, pk=pk)
    conflict = None
    if request.method == "POST":
        try:
            store_service.store_delete(store=store, actor=request.user, expected_version=posted_version(request))
        except EditConflict as exc:
            conflict = exc
        else:
            messages.success(request, f"Deleted the trusted store {store}.")
            return redirect("security:store_list")
    from applications.models import Application

    users = Application.objects.filter(pk__in=store_service.applications_using(store))
    return render(request, "applications/confirm_delete.html", {
        "object": store,
        "impact": {"applications whose security section uses it (their checks will report it unknown)": users},
        "cancel_url": store.get_absolute_url(),
        "opened_version": store_service.store_version(store), "conflict": conflict, "reload_url": request.path,
    })


@access_required
@require_safe
def store_download(request, pk):
    store = get_object_or_404(TrustedStore, pk=pk)
    if not store.entries.exists():
        messages.error(request, "This store holds no certificate yet: add one before downloading it.")
        return redirect(store)
    try:
        artifact = store_service.build_artifact(store)
    except CertificateError as exc:
        messages.error(request, f"The store cannot be built: {exc}.")
        return redirect(store)
    response = HttpResponse(artifact.content, content_type=artifact.content_type)
    # A name from a path or a store name may be non-ASCII or hold quotes: RFC 6266 encoding, not raw.
    response["Content-Disposition"] = content_disposition_header(True, artifact.filename)
    return response


# Fetch from a server ("Examine SSL"): the same preview-then-import as the upload, its draft in the session.

FETCH_SESSION_KEY = "certificate-fetch-preview"


@access_required
@require_http_methods(["GET", "HEAD", "POST"])
def certificate_fetch(request):
    """A server's presented chain, fetched unverified and shown; the officer then imports its CAs into the
    library and, optionally, stores. What the import takes is the chain as fetched (kept server-side in the
    session under a token), never certificates or stores sent back by the page."""
    if request.method == "POST" and "token" in request.POST:
        return certificate_fetch_confirm(request)
    if request.method == "POST":
        form = FetchForm(request.POST)
    else:
        # Pre-filled from a link (a connection whose probe found the chain untrusted); nothing is fetched.
        form = FetchForm(initial={k: request.GET[k] for k in ("host", "port", "server_name") if k in request.GET})
    if request.method == "POST" and form.is_valid():
        host, port, server_name = form.endpoint()
        try:
            chain_der = examine_server(host, port, server_hostname=server_name,
                                       timeout=settings.TLS_PROBE_TIMEOUT_SECONDS)
            chain = cert_service.preview_chain(chain_der, endpoint=f"{host}:{port}", server_name=server_name)
        except FetchFailed as exc:
            form.add_error(exc.field, str(exc))
        except CertificateError as exc:
            form.add_error(None, f"{host}:{port} presented a certificate that cannot be read ({exc}).")
        else:
            token = secrets.token_urlsafe(16)
            stores = list(TrustedStore.objects.order_by("name"))
            # Only the presented certificates' DER and the stores' versions as shown: the draft the import takes.
            request.session[FETCH_SESSION_KEY] = {
                "token": token, "endpoint": chain.endpoint, "server_name": server_name,
                "chain": [base64.b64encode(c.der).decode() for c in chain.certificates],
                "stores": {str(s.pk): store_service.store_version(s) for s in stores},
            }
            confirm = FetchImportForm(offered=chain.offered, store_ids=[s.pk for s in stores], initial={
                "token": token, "certificates": [c.fingerprint for c in chain.offered]})
            return fetch_preview(request, chain, confirm)
    return render(request, "security/certificate_fetch.html", {"form": form})


def fetch_preview(request, chain, confirm, *, conflict=None):
    return render(request, "security/certificate_fetch_preview.html", {
        "chain": chain, "confirm": confirm, "conflict": conflict, "chosen": confirm["certificates"].value() or [],
        "reload_url": fetch_form_url(chain),
        "any_warnings": any(c.warnings for c in chain.offered),
    })


def fetch_form_url(chain) -> str:
    """The fetch form pre-filled with the endpoint of ``chain``: fetching again shows what is current."""
    from urllib.parse import urlencode

    host, _, port = chain.endpoint.rpartition(":")
    query = urlencode({"host": host, "port": port, "server_name": chain.server_name})
    return f"{reverse('security:certificate_fetch')}?{query}"


def draft_chain(draft: dict):
    return cert_service.preview_chain([base64.b64decode(der) for der in draft["chain"]],
                                      endpoint=draft["endpoint"], server_name=draft["server_name"])


def certificate_fetch_confirm(request):
    draft = request.session.get(FETCH_SESSION_KEY)
    if not draft or not secrets.compare_digest(str(draft["token"]), str(request.POST.get("token", ""))):
        messages.error(request, "That preview has expired or was already imported: fetch the server's chain again.")
        return redirect("security:certificate_fetch")
    chain = draft_chain(draft)
    versions = draft["stores"]
    form = FetchImportForm(request.POST, offered=chain.offered, store_ids=[int(pk) for pk in versions])
    if not form.is_valid():
        return fetch_preview(request, chain, form)
    stores = list(form.cleaned_data["stores"])
    try:
        result, skipped = cert_service.import_fetched(
            chain=chain, fingerprints=form.cleaned_data["certificates"],
            accept_warnings=form.cleaned_data["accept_warnings"], actor=request.user,
            stores=[(store, versions[str(store.pk)]) for store in stores])
    except EditConflict as exc:
        # Nothing was saved. The page now carries the stores' current versions: importing again adds to them
        # as they are now, which the banner has just shown.
        draft["stores"] = {pk: store_service.store_version(s)
                           for pk, s in ((str(s.pk), s) for s in TrustedStore.objects.filter(pk__in=list(versions)))}
        request.session[FETCH_SESSION_KEY] = draft
        return fetch_preview(request, chain, form, conflict=exc)
    del request.session[FETCH_SESSION_KEY]
    text = (f"Imported {len(result.created)} certificate(s) from {chain.endpoint}; "
            f"{len(result.already_present)} were already in the library.")
    if skipped:
        text += f" {skipped} with warnings were not imported (tick the box to import them)."
    if stores and (result.created or result.already_present):
        text += f" Added to the store(s) {', '.join(s.name for s in stores)}."
    messages.success(request, text)
    if len(stores) == 1:
        return redirect(stores[0])
    if len(result.created) == 1 and not stores:
        return redirect(result.created[0])
    return redirect("security:certificate_list")
