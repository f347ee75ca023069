"""The profile page where a user creates, names, lists and revokes their own API tokens."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from api.models import ApiToken
from api.tokens import MAX_EXPIRY_DAYS, create_token, revoke_token
from cobrowse_admin.access import access_required


class NewTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. \"nightly readiness check\".")
    expires_days = forms.IntegerField(
        label="Expires after (days)", required=False, min_value=1, max_value=MAX_EXPIRY_DAYS,
        help_text="Empty: never (revoke it when it is no longer used).")


@access_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile_tokens(request):
    form = NewTokenForm(request.POST if request.POST.get("action") == "create" else None)
    new_secret = None
    if request.method == "POST" and request.POST.get("action") == "revoke":
        token = get_object_or_404(ApiToken, pk=request.POST.get("token") or 0, user=request.user)
        if revoke_token(token=token, actor=request.user):
            messages.success(request, f"Revoked the token {token}: it no longer works.")
        return redirect("profile_tokens")
    if request.method == "POST" and form.is_valid():
        created = create_token(user=request.user, name=form.cleaned_data["name"],
                               expires_days=form.cleaned_data["expires_days"])
        # Shown on this answer only (never stored, never in a redirect or a message that could be
        # replayed from the session).
        new_secret = created.secret
        form = NewTokenForm()
    return render(request, "api/profile_tokens.html", {
        "form": form, "new_secret": new_secret,
        "tokens": ApiToken.objects.filter(user=request.user),
    })
