"""Users and their role (Administrator only): create, change role, deactivate, reset password, unlock."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from applications import audit, lockouts, versioning
from applications.roles import RANK, ROLES, role_name
from applications.sorting import Column, sort_by
from applications.usernames import ALLOWED_CHARACTERS, validate_new_username
from cobrowse_admin.access import access_required


class UserForm(forms.Form):
    # Not stripped: a space is refused with a message rather than silently dropped.
    username = forms.CharField(max_length=150, strip=False, help_text=f"Only {ALLOWED_CHARACTERS}.")
    role = forms.ChoiceField(choices=[(r, r) for r in ROLES])
    active = forms.BooleanField(required=False, initial=True, help_text="Inactive users cannot log in.")
    password = forms.CharField(
        required=False, strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="For a new user; for an existing one, leave empty to keep the password.",
    )

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user:
            self.fields["username"].disabled = True

    def clean_username(self):
        name = self.cleaned_data["username"]
        if not self.user:  # an existing user's name is shown, not edited
            validate_new_username(name)
        return name

    def clean(self):
        data = super().clean()
        password = data.get("password")
        if not self.user and not password:
            self.add_error("password", "A new user needs a password.")
        if password:
            try:
                validate_password(password, self.user)
            except ValidationError as exc:
                self.add_error("password", exc)
        return data


def user_state(user: User) -> dict:
    """What the Users form edits, as stored (the password as its hash: the version is a keyed digest)."""
    return {"username": user.username, "active": user.is_active, "password": user.password,
            "roles": sorted(user.groups.values_list("name", flat=True))}


def user_version(user: User) -> str:
    return versioning.version(user_state(user), versioning.about("user", user.pk))


def check_user_version(user: User, expected_version: str | None) -> None:
    """``EditConflict`` unless ``user`` (as read) is the version the form was opened on."""
    versioning.check(expected=expected_version, state=user_state(user),
                     events_about=versioning.about("user", user.pk), what=f"the user {user.username}")


@transaction.atomic
def user_save(*, user: User | None, username: str, role: str, active: bool, password: str, actor,
              expected_version: str | None = None) -> User:
    """Create a user, or change the role, state or password of one. ``expected_version`` is the
    version the form was opened on (``user_version``): ``EditConflict`` when the user changed since,
    and nothing is saved; None saves unconditionally. ``ValidationError`` for a look-alike name, or
    when ``actor`` would lower their own role or deactivate themselves."""
    creating = user is None
    if creating:
        validate_new_username(username)
        user = User(username=username)
    else:
        user = User.objects.select_for_update(no_key=True).get(pk=user.pk)
        check_user_version(user, expected_version)
        if user.pk == getattr(actor, "pk", None) and (role != role_name(user) or not active):
            raise ValidationError({"role": "You cannot lower your own role or deactivate yourself."})
    before = {} if creating else {"role": role_name(user), "active": user.is_active}
    user.is_active = active
    if password:
        user.set_password(password)
    if creating:
        user.save()
    else:
        user.save(update_fields=["is_active", "password"])
    user.groups.set([Group.objects.get(name=role)])
    changes = audit.field_changes(before, {"role": role, "active": active})
    if password and not creating:
        changes["password"] = [None, audit.SECRET_CHANGED]
    audit.record(actor=actor, action="create" if creating else "update", object_type="user", obj=user,
                 object_repr=user.username, changes=changes)
    return user


@access_required
@require_safe
def user_list(request):
    sorting = sort_by(request.GET, USER_COLUMNS)
    users = User.objects.order_by(*sorting.order_by).prefetch_related("groups")
    locked = lockouts.current_lockouts()
    rows = [(u, role_name(u), locked.get(u.username)) for u in users]
    if sorting.key == "role":
        # The role is the highest of the groups (applications.roles): ordered here, on a list of a few dozen.
        rows.sort(key=lambda row: RANK.get(row[1], 0), reverse=sorting.descending)
    names = {u.username for u in users}
    return render(request, "applications/user_list.html", {
        "rows": rows, "sorting": sorting,
        "locked_rows": [(u, lockout) for u, _, lockout in rows if lockout],
        # Only counted: a name that is no user's may be a password typed in the wrong field.
        "other_lockouts": sum(1 for name in locked if name not in names),
        "failure_limit": settings.AXES_FAILURE_LIMIT, "cool_off": lockouts.cool_off_time(),
    })


USER_COLUMNS = [
    Column("user", "User", ["username"]),
    Column("role", "Role", ["username"]),
    Column("state", "State", ["-is_active", "username"]),
    Column("last_login", "Last login", [F("last_login").desc(nulls_last=True), "username"]),
]


@access_required
@require_POST
def user_unlock(request, pk):
    user = get_object_or_404(User, pk=pk)
    lifted = lockouts.lockout_lift(user=user, actor=request.user)
    if lifted:
        messages.success(request, f"Unlocked {user.username} ({lockouts.describe(lifted)}): "
                                  "they can log in again from every address.")
    else:
        messages.info(request, f"{user.username} was not locked (any more): nothing to unlock.")
    return redirect("applications:user_list")


@access_required
def user_edit(request, pk=None):
    user = get_object_or_404(User, pk=pk) if pk else None
    initial = {"username": user.username, "role": role_name(user), "active": user.is_active} if user else {}
    form = UserForm(request.POST or None, user=user, initial=initial)
    version = user_version(user) if user else ""
    conflict = None
    if request.method == "POST":
        version = versioning.posted_version(request) if user else ""
        try:
            if user:
                check_user_version(user, version)  # said before any form error
            if form.is_valid():
                data = form.cleaned_data
                try:
                    saved = user_save(user=user, username=data["username"], role=data["role"],
                                      active=data["active"], password=data["password"], actor=request.user,
                                      expected_version=version if user else None)
                except ValidationError as exc:  # on the field the service names (the user name by default)
                    form.add_error(None if hasattr(exc, "error_dict") else "username", exc)
                else:
                    messages.success(request, f"Saved user {saved.username} ({data['role']}).")
                    return redirect("applications:user_list")
        except versioning.EditConflict as exc:
            conflict = exc
    return render(request, "applications/form.html", {
        "form": form,
        "title": f"User {user.username}" if user else "New user",
        "cancel_url": reverse("applications:user_list"),
        "opened_version": version, "conflict": conflict, "reload_url": request.path,
    })
