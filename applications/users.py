"""Users and their role (Administrator only): create, change role, deactivate, reset password."""

from django import forms
from django.contrib import messages
from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from applications import audit
from applications.names import validate_object_name
from applications.roles import ROLES, administrator_required, role_name
from applications.text import quoted


class UserForm(forms.Form):
    username = forms.CharField(max_length=150)
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
        name = self.cleaned_data["username"].strip()
        if not self.user:
            # A new name only: an existing user's name is shown, not edited here.
            validate_object_name(name)
        if not self.user and User.objects.filter(username=name).exists():
            raise ValidationError(f"A user named {quoted(name)} already exists.")
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


@transaction.atomic
def user_save(*, user: User | None, username: str, role: str, active: bool, password: str, actor) -> User:
    creating = user is None
    if creating:
        user = User(username=username)
    before = {} if creating else {"role": role_name(user), "active": user.is_active}
    user.is_active = active
    if password:
        user.set_password(password)
    user.save()
    user.groups.set([Group.objects.get(name=role)])
    changes = audit.field_changes(before, {"role": role, "active": active})
    if password and not creating:
        changes["password"] = [None, audit.SECRET_CHANGED]
    audit.record(actor=actor, action="create" if creating else "update", object_type="user", obj=user,
                 object_repr=user.username, changes=changes)
    return user


@administrator_required
@require_safe
def user_list(request):
    users = User.objects.order_by("username").prefetch_related("groups")
    rows = [(u, role_name(u)) for u in users]
    return render(request, "applications/user_list.html", {"rows": rows})


@administrator_required
def user_edit(request, pk=None):
    user = get_object_or_404(User, pk=pk) if pk else None
    initial = {"username": user.username, "role": role_name(user), "active": user.is_active} if user else {}
    form = UserForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if user == request.user and (data["role"] != role_name(user) or not data["active"]):
            form.add_error("role", "You cannot lower your own role or deactivate yourself.")
        else:
            saved = user_save(user=user, username=data["username"], role=data["role"], active=data["active"],
                              password=data["password"], actor=request.user)
            messages.success(request, f"Saved user {saved.username} ({data['role']}).")
            return redirect("applications:user_list")
    return render(request, "applications/form.html", {
        "form": form,
        "title": f"User {user.username}" if user else "New user",
        "cancel_url": reverse("applications:user_list"),
    })
