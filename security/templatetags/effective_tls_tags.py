"""The Effective TLS panel, for the pages of the applications app (its connection and port forms),
which never import security: the template loads this library."""

from django import template

from security.effective_tls import effective_client_tls, effective_port_tls

register = template.Library()


@register.inclusion_tag("security/_effective_tls_panel.html")
def connection_tls_panel(connection, what: str = ""):
    return {"effective": effective_client_tls(connection) if connection and connection.pk else None, "what": what}


@register.inclusion_tag("security/_effective_tls_panel.html")
def port_tls_panel(port, what: str = ""):
    return {"effective": effective_port_tls(port) if port and port.pk else None, "what": what}
