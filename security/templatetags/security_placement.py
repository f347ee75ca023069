"""Template tags for the R2 placement message on the Connections tab."""

from django import template
from django.urls import reverse

from applications.models import Application, AppType
from security.rules import connections_placement

register = template.Library()


@register.simple_tag
def connections_placement_for(app: Application) -> dict:
    """R2 for this application, with (label, URL) of where its TLS connections belong instead."""
    placement = connections_placement(app.app_type, app.version)
    links = []
    # Where the "Add connection" of this tab sends a TLS connection instead: (label, URL), or None.
    add_instead = None
    if not placement.allowed:
        if placement.instead == "cluster" and app.app_type == AppType.COBROWSE_NODE and app.cluster_id:
            links.append((f"Connections of {app.cluster.name}", reverse("applications:connections",
                                                                         args=[app.cluster_id])))
            add_instead = (f"Add a connection to {app.cluster.name}",
                           reverse("applications:connection_new", args=[app.cluster_id]))
        elif placement.instead == "cluster":
            links.append(("Co-browse Cluster applications",
                          f"{reverse('applications:list')}?app_type={AppType.COBROWSE_CLUSTER}"))
        else:
            links.append(("Co-browse Server applications",
                          f"{reverse('applications:list')}?app_type={AppType.COBROWSE_SERVER}"))
    return {"placement": placement, "links": links, "show": bool(placement.reason), "add_instead": add_instead}
