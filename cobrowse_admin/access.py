"""The one access table: for every route of the project (browser page or API operation), the least
role each method needs. The browser's pages (``access_required``) and the API
(``api.permissions.RouteRolePermission``) both read it; ``tests/api/test_access_table.py`` walks every
URL pattern and fails when one is missing here.

A route is named as Django names it (``namespace:name``). ``Rule.read`` is for GET, HEAD and OPTIONS,
``Rule.write`` for POST, PUT, PATCH and DELETE (None: the route offers no write, its own method check
answers 405 to anyone allowed to read it). Roles include the ones before them:
Viewer < Operator < Security officer < Administrator.

Within a route, what depends on the data (the security section's options, secrets) stays with the
service that writes it (``applications.options.may_change_option``): the table says who may reach it.
"""

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from applications.roles import ADMINISTRATOR, OPERATOR, SECURITY_OFFICER, VIEWER, RoleRequired, has_role

PUBLIC = "public"  # anyone, signed in or not (the login page)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Rule:
    read: str
    write: str | None = None

    def role_for(self, method: str) -> str:
        if method.upper() in SAFE_METHODS or self.write is None:
            return self.read
        return self.write


def reads(role: str) -> Rule:
    """A page or operation that only shows (its writes, if any, answer 405)."""
    return Rule(read=role)


def edits(role: str) -> Rule:
    """A form (its GET shows the form) or an action: the same role for every method."""
    return Rule(read=role, write=role)


BROWSER = {
    "login": Rule(PUBLIC, PUBLIC),
    "logout": Rule(PUBLIC, PUBLIC),
    "dashboard": reads(VIEWER),
    "profile_tokens": edits(VIEWER),
    # Hosts, applications, ports, connections, options: an Operator edits.
    "applications:host_list": reads(VIEWER),
    "applications:host_new": edits(OPERATOR),
    "applications:host_detail": reads(VIEWER),
    "applications:host_edit": edits(OPERATOR),
    "applications:host_delete": edits(OPERATOR),
    # The [security] section of a host: the service allows it to Security officers only.
    "applications:host_options": edits(OPERATOR),
    "applications:host_options_export": reads(VIEWER),
    "applications:host_options_import": edits(OPERATOR),
    "applications:list": reads(VIEWER),
    "applications:new": edits(OPERATOR),
    "applications:detail": reads(VIEWER),
    "applications:edit": edits(OPERATOR),
    "applications:clone": edits(OPERATOR),
    "applications:delete": edits(OPERATOR),
    "applications:mark_restarted": edits(OPERATOR),
    "applications:history": reads(VIEWER),
    "applications:history_events": reads(VIEWER),
    "applications:compare": reads(VIEWER),
    "applications:version": reads(VIEWER),
    "applications:revert": edits(OPERATOR),
    "applications:ports": reads(VIEWER),
    "applications:server_info_edit": edits(OPERATOR),
    "applications:port_new": edits(OPERATOR),
    "applications:port_edit": edits(OPERATOR),
    "applications:port_delete": edits(OPERATOR),
    "applications:ports_export": reads(VIEWER),
    "applications:ports_import": edits(OPERATOR),
    "applications:connections": reads(VIEWER),
    "applications:connection_new": edits(OPERATOR),
    "applications:connection_edit": edits(OPERATOR),
    "applications:connection_delete": edits(OPERATOR),
    "applications:options": reads(VIEWER),
    "applications:options_edit": edits(OPERATOR),
    "applications:options_export": reads(VIEWER),
    "applications:options_import": edits(OPERATOR),
    "applications:audit": reads(VIEWER),
    "applications:audit_export": reads(VIEWER),
    "applications:audit_verify": edits(ADMINISTRATOR),
    "applications:event_version": reads(VIEWER),
    # Users and roles: the Administrator only.
    "applications:user_list": edits(ADMINISTRATOR),
    "applications:user_new": edits(ADMINISTRATOR),
    "applications:user_edit": edits(ADMINISTRATOR),
    "applications:user_unlock": edits(ADMINISTRATOR),
    # Certificates, stores, passwords, the security section, probes: the Security officer.
    "security:certificate_list": reads(VIEWER),
    "security:certificate_upload": edits(SECURITY_OFFICER),
    "security:certificate_fetch": edits(SECURITY_OFFICER),
    "security:certificate_detail": reads(VIEWER),
    "security:certificate_download": reads(VIEWER),
    "security:certificate_delete": edits(SECURITY_OFFICER),
    "security:store_list": reads(VIEWER),
    "security:store_new": edits(SECURITY_OFFICER),
    "security:store_detail": reads(VIEWER),
    "security:store_edit": edits(SECURITY_OFFICER),
    "security:store_delete": edits(SECURITY_OFFICER),
    # The built file of a JKS store holds what its password protects.
    "security:store_download": edits(SECURITY_OFFICER),
    "security:store_history": reads(VIEWER),
    "security:store_compare": reads(VIEWER),
    "security:store_revert": edits(SECURITY_OFFICER),
    "security:section": Rule(read=VIEWER, write=SECURITY_OFFICER),
    "security:section_cluster": edits(SECURITY_OFFICER),
    # setenv's POST only previews a patched file: a read.
    "security:setenv": Rule(read=VIEWER, write=VIEWER),
    "security:setenv_patched": Rule(read=VIEWER, write=VIEWER),
    "security:setenv_download": reads(VIEWER),
    "security:findings": reads(VIEWER),
    "security:findings_export": reads(VIEWER),
    # The TLS compliance report reads the findings: whoever sees them sees it.
    "security:compliance": reads(VIEWER),
    "security:compliance_export": reads(VIEWER),
    "security:review": reads(VIEWER),
    "security:review_export": reads(VIEWER),
    "security:map": reads(VIEWER),
    "security:connection_tls": reads(VIEWER),
    "security:port_tls": reads(VIEWER),
    "security:probe": edits(SECURITY_OFFICER),
    "security:probe_all": edits(SECURITY_OFFICER),
    "security:probe_history": reads(VIEWER),
    "security:sweep_start": edits(OPERATOR),
    "security:sweep_detail": reads(VIEWER),
    "security:sweep_status": reads(VIEWER),
    # Notifications: Administrators manage the channels and retry; everyone reads the log and sets their
    # own subscription and calendar URL; the calendar feed is opened by its secret URL alone.
    "notifications:channel_list": reads(ADMINISTRATOR),
    "notifications:channel_new": edits(ADMINISTRATOR),
    "notifications:channel_edit": edits(ADMINISTRATOR),
    "notifications:channel_delete": edits(ADMINISTRATOR),
    "notifications:deliveries": reads(VIEWER),
    "notifications:delivery_retry": edits(ADMINISTRATOR),
    "notifications:mine": edits(VIEWER),
    "notifications:calendar_feed": reads(PUBLIC),
    "help:index": reads(VIEWER),
    "help:topic": reads(VIEWER),
}

# The API: DRF names a list route ``<basename>-list`` and an object route ``<basename>-detail``; an
# action adds its own (``application-mark-restarted``). Resources add their rows here.
API = {
    "api:schema": reads(VIEWER),
    "api:docs": reads(VIEWER),
    # The Genesys configuration: an Operator edits (the security section's options and the secrets:
    # the Security officer, as the options service decides).
    "api:host-list": Rule(read=VIEWER, write=OPERATOR),
    "api:host-detail": Rule(read=VIEWER, write=OPERATOR),
    # [security] of a host: the service allows it to Security officers only.
    "api:host-options": Rule(read=VIEWER, write=OPERATOR),
    "api:application-list": Rule(read=VIEWER, write=OPERATOR),
    "api:application-detail": Rule(read=VIEWER, write=OPERATOR),
    "api:application-clone": edits(OPERATOR),
    "api:application-mark-restarted": edits(OPERATOR),
    "api:application-server-info": edits(OPERATOR),
    "api:port-list": Rule(read=VIEWER, write=OPERATOR),
    "api:port-detail": Rule(read=VIEWER, write=OPERATOR),
    "api:connection-list": Rule(read=VIEWER, write=OPERATOR),
    "api:connection-detail": Rule(read=VIEWER, write=OPERATOR),
    "api:connection-effective-tls": reads(VIEWER),
    "api:port-effective-tls": reads(VIEWER),
    "api:application-options": Rule(read=VIEWER, write=OPERATOR),
    "api:application-security": Rule(read=VIEWER, write=SECURITY_OFFICER),
    "api:application-cluster-apply": Rule(read=VIEWER, write=SECURITY_OFFICER),
    "api:application-versions": reads(VIEWER),
    "api:application-version": reads(VIEWER),
    "api:application-compare": reads(VIEWER),
    "api:application-revert": edits(OPERATOR),
    "api:audit-event-list": reads(VIEWER),
    "api:audit-event-detail": reads(VIEWER),
    # Users and roles: the Administrator only.
    "api:user-list": edits(ADMINISTRATOR),
    "api:user-detail": edits(ADMINISTRATOR),
    "api:user-unlock": edits(ADMINISTRATOR),
    # Certificates, trusted stores, findings, sweeps, probes (the Security officer writes).
    "api:certificate-list": reads(VIEWER),
    "api:certificate-detail": Rule(read=VIEWER, write=SECURITY_OFFICER),
    "api:certificate-upload": edits(SECURITY_OFFICER),
    "api:certificate-fetch": edits(SECURITY_OFFICER),
    "api:certificate-pem": reads(VIEWER),
    "api:certificate-der": reads(VIEWER),
    "api:store-list": Rule(read=VIEWER, write=SECURITY_OFFICER),
    "api:store-detail": Rule(read=VIEWER, write=SECURITY_OFFICER),
    # As in the browser: the built file of a JKS store holds what its password protects.
    "api:store-download": edits(SECURITY_OFFICER),
    "api:store-versions": reads(VIEWER),
    "api:store-compare": reads(VIEWER),
    "api:store-revert": edits(SECURITY_OFFICER),
    # The dry run of a store update: answered to whoever may make the update.
    "api:store-preview": edits(SECURITY_OFFICER),
    "api:finding-list": reads(VIEWER),
    "api:finding-detail": reads(VIEWER),
    # "Validate now" is the Operator's, as in the browser.
    "api:sweep-list": Rule(read=VIEWER, write=OPERATOR),
    "api:sweep-detail": reads(VIEWER),
    "api:probe-list": Rule(read=VIEWER, write=SECURITY_OFFICER),
    "api:probe-detail": reads(VIEWER),
    # Notifications, as on their pages: Administrators manage the channels and retry; everyone reads the
    # delivery log and sets their own subscription and calendar URL.
    "api:notification-channel-list": edits(ADMINISTRATOR),
    "api:notification-channel-detail": edits(ADMINISTRATOR),
    "api:notification-delivery-list": reads(VIEWER),
    "api:notification-delivery-detail": reads(VIEWER),
    "api:notification-delivery-retry": edits(ADMINISTRATOR),
    "api:notification-subscription": edits(VIEWER),
    "api:notification-calendar": edits(VIEWER),
}

ROUTES: dict[str, Rule] = {**BROWSER, **API}


class RouteNotInTable(LookupError):
    pass


def required_role(view_name: str, method: str) -> str:
    """The least role ``method`` on the route ``view_name`` needs (``PUBLIC``: none)."""
    try:
        return ROUTES[view_name].role_for(method)
    except KeyError:
        raise RouteNotInTable(view_name) from None


def request_role(request) -> str:
    """The role the request's route and method need. A route missing from the table is refused
    (and fails the tests): nothing is reachable by omission."""
    match = getattr(request, "resolver_match", None)
    try:
        return required_role(match.view_name if match else "", request.method or "GET")
    except RouteNotInTable:
        raise PermissionDenied("This route is not in the access table.") from None


def access_required(view):
    """A browser page's check: signed in, then the role the table gives its route and method."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        role = request_role(request)
        if role != PUBLIC:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, role):
                raise RoleRequired(role)
        return view(request, *args, **kwargs)

    return wrapper
