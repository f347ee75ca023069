from applications.roles import ADMINISTRATOR, OPERATOR, SECURITY_OFFICER, VIEWER, has_role, role_name


def roles(request):
    """What the templates need to hide controls a user may not use (the server checks again)."""
    user = getattr(request, "user", None)
    return {
        "can_view": has_role(user, VIEWER),
        "can_operate": has_role(user, OPERATOR),
        "can_secure": has_role(user, SECURITY_OFFICER),
        "can_administer": has_role(user, ADMINISTRATOR),
        "user_role": role_name(user),
    }
