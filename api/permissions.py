"""The API's permission check: the role the access table gives the route and method."""

from rest_framework.permissions import BasePermission

from applications.roles import has_role
from cobrowse_admin.access import PUBLIC, RouteNotInTable, required_role


class RouteRolePermission(BasePermission):
    def has_permission(self, request, view) -> bool:
        match = request.resolver_match
        try:
            role = required_role(match.view_name if match else "", request.method)
        except RouteNotInTable:
            self.message = "This route is not in the access table."
            return False
        if role == PUBLIC:
            return True
        self.message = f"This needs the {role} role."
        return bool(request.user and request.user.is_authenticated and has_role(request.user, role))
