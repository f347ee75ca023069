"""Roles, as Django groups, and the checks every view and command makes server-side.

Each role includes the rights of the ones before it:
Viewer < Operator < Security officer < Administrator.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

VIEWER = "Viewer"
OPERATOR = "Operator"
SECURITY_OFFICER = "Security officer"
ADMINISTRATOR = "Administrator"

ROLES = (VIEWER, OPERATOR, SECURITY_OFFICER, ADMINISTRATOR)
RANK = {role: rank for rank, role in enumerate(ROLES, start=1)}


def role_rank(user) -> int:
    """The highest role rank of the user (0: none). Cached on the user object per request."""
    if not user or not user.is_authenticated or not user.is_active:
        return 0
    if user.is_superuser:
        return RANK[ADMINISTRATOR]
    cached = getattr(user, "_cobrowse_role_rank", None)
    if cached is None:
        # A list of users with their groups prefetched reads them, not one query per user.
        prefetched = getattr(user, "_prefetched_objects_cache", {}).get("groups")
        names = ([group.name for group in prefetched] if prefetched is not None
                 else user.groups.values_list("name", flat=True))
        cached = max((RANK.get(name, 0) for name in names), default=0)
        user._cobrowse_role_rank = cached
    return cached


class RoleRequired(PermissionDenied):
    """Refused because the user's role is below ``role``: the 403 page shows the message, the log
    line names the role (``cobrowse_admin.forbidden``)."""

    def __init__(self, role: str, message: str = ""):
        self.role = role
        super().__init__(message or f"This needs the {role} role.")


def has_role(user, role: str) -> bool:
    return role_rank(user) >= RANK[role]


def role_name(user) -> str:
    rank = role_rank(user)
    return ROLES[rank - 1] if rank else "no role"


def role_required(role: str):
    """Login required; then 403 unless the user holds ``role`` or a higher one."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not has_role(request.user, role):
                raise RoleRequired(role)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


viewer_required = role_required(VIEWER)
operator_required = role_required(OPERATOR)
security_officer_required = role_required(SECURITY_OFFICER)
administrator_required = role_required(ADMINISTRATOR)


def ensure_role_groups() -> None:
    """The groups exist after migrate; this recreates them where a test database was flushed."""
    from django.contrib.auth.models import Group

    for name in ROLES:
        Group.objects.get_or_create(name=name)
