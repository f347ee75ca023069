"""The connection map page: the form of its filters, the picture inline, the legend."""

from django import forms
from django.shortcuts import render
from django.views.decorators.http import require_safe

from applications import widgets
from applications.models import Application, AppType, Host
from cobrowse_admin.access import access_required
from security.connection_map import (
    GROUP_BY_CLUSTER,
    GROUP_BY_HOST,
    LayoutError,
    legend,
    load_map,
    map_dot,
    map_titles,
    render_svg,
    scaled,
)

ZOOMS = [("100", "100 %"), ("fit", "Fit to width"), ("50", "50 %"), ("75", "75 %"), ("150", "150 %")]


def select(**attrs):
    return widgets.Select(attrs={"class": "form-select form-select-sm", **attrs})


class MapFilterForm(forms.Form):
    group = forms.ChoiceField(label="Group by", required=False, widget=select(),
                              choices=[(GROUP_BY_CLUSTER, "Cluster"), (GROUP_BY_HOST, "Host")])
    application = forms.TypedChoiceField(label="Application", coerce=int, required=False, empty_value=None,
                                         widget=select())
    cluster = forms.TypedChoiceField(label="Cluster", coerce=int, required=False, empty_value=None, widget=select())
    host = forms.TypedChoiceField(label="Host", coerce=int, required=False, empty_value=None, widget=select())
    zoom = forms.ChoiceField(label="Zoom", required=False, choices=ZOOMS, widget=select())

    INVALID = {
        "group": "Group by Cluster or by Host (not “{value}”).",
        "application": "There is no application “{value}”: choose one from the list.",
        "cluster": "There is no Co-browse Cluster “{value}”: choose one from the list.",
        "host": "There is no host “{value}”: choose one from the list.",
        "zoom": "Zoom to fit or to 50, 75, 100 or 150 %% (not “{value}”).",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Names only, rendered in Python (applications.widgets): hundreds of options on a large site.
        apps = list(Application.objects.order_by("name").values_list("pk", "name", "app_type"))
        self.fields["application"].choices = [("", "All applications")] + [(pk, name) for pk, name, _ in apps]
        self.fields["cluster"].choices = [("", "All clusters")] + [
            (pk, name) for pk, name, app_type in apps if app_type == AppType.COBROWSE_CLUSTER]
        hosts = Host.objects.order_by("name").values_list("pk", "name")
        self.fields["host"].choices = [("", "All hosts"), *hosts]
        for name, message in self.INVALID.items():
            self.fields[name].error_messages["invalid_choice"] = message.replace("{value}", "%(value)s")

    def clean(self):
        data = super().clean()
        data["group"] = data.get("group") or GROUP_BY_CLUSTER
        data["zoom"] = data.get("zoom") or "100"
        # The choices are the ids the page listed: each was valid a moment ago, may be gone now.
        for name in ("application", "cluster"):
            if data.get(name) is not None:
                data[name] = Application.objects.filter(pk=data[name]).first()
                if data[name] is None:
                    self.add_error(name, "That application no longer exists.")
        if data.get("host") is not None:
            data["host"] = Host.objects.filter(pk=data["host"]).first()
            if data["host"] is None:
                self.add_error("host", "That host no longer exists.")
        return data


@access_required
@require_safe
def connection_map(request):
    form = MapFilterForm(request.GET)
    context = {"form": form, "legend": legend(), "svg": "", "layout_error": ""}
    if not form.is_valid():
        return render(request, "security/connection_map.html", context, status=400)
    data = form.cleaned_data
    picture = load_map(group_by=data["group"], application=data["application"], cluster=data["cluster"],
                       host=data["host"])
    context.update(picture=picture, legend=legend(picture.counts), zoom=data["zoom"],
                   filtered=any(data[n] is not None for n in ("application", "cluster", "host")))
    if picture.apps:
        try:
            context["svg"] = scaled(render_svg(map_dot(picture), map_titles(picture)), data["zoom"])
        except LayoutError as exc:
            context["layout_error"] = str(exc)
    return render(request, "security/connection_map.html", context, status=503 if context["layout_error"] else 200)
