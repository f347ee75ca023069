"""R3: the setenv page. The operator's own setenv file patched (with its diff), or the built-in template.

Any role may use it: it reads the configuration and writes nothing. The uploaded file is used for
the answer and forgotten; the download sends it back (base64, in the form) and is patched again, so
the file downloaded is the one whose changes were shown, or the page says the configuration moved.
"""

import hashlib
import json

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from applications.models import Application, AppType
from applications.numbers import parse_whole_number
from cobrowse_admin.access import access_required
from security import setenv as generated
from security.forms_setenv import SetenvPatchedForm, SetenvUploadForm, source_field
from security.models import Provider
from security.section import config_server_target, effective_section
from security.setenv import SetenvRefused, SetenvRequest, refusal, setenv_lines, setenv_notes
from security.setenv_patch import PatchResult, patch_setenv
from security.views_section import cobrowse_or_404


def setenv_request(app: Application, target) -> SetenvRequest:
    holder, state = effective_section(app)
    return SetenvRequest(
        application_name=app.name,
        application_label=f"{app.get_app_type_display()} {app.version}",
        config_server_name=target.config_server.name,
        config_host=target.config_server.host.address,
        config_port=target.port.number,
        port_id=target.port.port_id,
        mutual_tls=target.port.mutual_tls,
        provider=state.provider,
        trusted_ca=state.trusted_ca if state.provider in (Provider.PEM, Provider.JKS) else "",
        section_holder=holder.name,
        host_os=app.host.os_type if app.host else None,
        host_name=app.host.name if app.host else "",
        server_directory=app.working_directory,
    )


def setenv_target(request, app: Application):
    if app.app_type == AppType.COBROWSE_CLUSTER:
        return None
    return config_server_target(parse_whole_number(request.GET.get("cs")))


def filename(app: Application, kind: str) -> str:
    return f"{slugify(app.name) or 'cobrowse'}-setenv.{kind}"


def page_url(app: Application, context: dict) -> str:
    return reverse("security:setenv", args=[app.pk]) + context.get("query", "")


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def page_context(request, app: Application) -> dict:
    target = setenv_target(request, app)
    context = {"app": app, "tab": "security", "target": target}
    if target is None:
        context["nodes"] = app.nodes.order_by("name")
    elif not target.missing:
        req = setenv_request(app, target)
        templates = []
        for kind in req.kinds:
            reason = refusal(req, kind)
            body = "" if reason else generated.render(req, kind)
            # The Copy button's text: JSON in an attribute keeps the CR LF of setenv.bat, which the
            # <pre> loses (HTML reads CR LF as LF); no inline script, which the CSP forbids.
            templates.append({"kind": kind, "file": f"setenv.{kind}", "refused": reason, "body": body,
                              "text_json": json.dumps(body, ensure_ascii=True)})
        context.update({
            "req": req, "lines": setenv_lines(req), "notes": setenv_notes(req), "templates": templates,
            "query": f"?cs={target.config_server.pk}",
        })
    return context


def with_patch(context: dict, app: Application, result: PatchResult, pasted: bool) -> dict:
    kind = result.source.kind
    context.update({
        "patch": result,
        "pasted": pasted,
        "diff": result.diff(f"setenv.{kind}"),
        "patched_form": SetenvPatchedForm(initial={
            "kind": kind, "original": source_field(result.source), "shown": digest(result.content())}),
        "patched_filename": filename(app, kind),
    })
    return context


@access_required
@require_http_methods(["GET", "HEAD", "POST"])
def setenv(request, pk):
    app = cobrowse_or_404(pk)
    context = page_context(request, app)
    req = context.get("req")
    if req is not None:
        form = SetenvUploadForm(request.POST or None, request.FILES or None, kinds=req.kinds)
        if request.method == "POST" and form.is_valid():
            try:
                result = patch_setenv(form.cleaned_data["source"], req)
            except SetenvRefused as exc:
                form.add_error(None, str(exc))
            else:
                with_patch(context, app, result, form.cleaned_data["pasted"])
        context["upload_form"] = form
    elif request.method == "POST":
        messages.error(request, "No setenv file can be patched for this application: see why below.")
    return render(request, "security/setenv.html", context)


@access_required
@require_POST
def setenv_patched(request, pk):
    """The patched file, exactly the one whose changes were shown; else the page with the new diff."""
    app = cobrowse_or_404(pk)
    context = page_context(request, app)
    req = context.get("req")
    form = SetenvPatchedForm(request.POST)
    if req is None or not form.is_valid():
        messages.error(request, "The file to patch did not come back intact: upload it again.")
        return redirect(page_url(app, context))
    try:
        result = patch_setenv(form.cleaned_data["source"], req)
    except SetenvRefused as exc:
        messages.error(request, f"Nothing to download: {exc}")
        return redirect(page_url(app, context))
    content = result.content()
    if digest(content) != form.cleaned_data["shown"]:
        context["moved"] = True
        context["upload_form"] = SetenvUploadForm(kinds=req.kinds)
        return render(request, "security/setenv.html", with_patch(context, app, result, pasted=False))
    response = HttpResponse(content, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename(app, result.source.kind)}"'
    return response


@access_required
@require_safe
def setenv_download(request, pk, kind):
    """The built-in template for a host of that kind."""
    app = cobrowse_or_404(pk)
    target = setenv_target(request, app)
    if target is None or target.missing:
        raise Http404("No setenv file can be generated for this application.")
    req = setenv_request(app, target)
    if kind not in req.kinds:
        raise Http404(f"{app.name} runs on {app.host.name if app.host else 'no host'}: its file is "
                      f"setenv.{req.kinds[0]}.")
    try:
        body = generated.render(req, kind)
    except SetenvRefused as exc:
        messages.error(request, f"setenv.{kind} cannot be generated: {exc}")
        return redirect(reverse("security:setenv", args=[app.pk]) + f"?cs={target.config_server.pk}")
    response = HttpResponse(body.encode("utf-8"), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename(app, kind)}"'
    return response
