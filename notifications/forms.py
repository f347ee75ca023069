"""Forms of the channel pages and of a user's own notifications. Values come back as typed."""

from django import forms

from notifications.models import ChannelKind, EventKind

EVENT_CHOICES = [(k.value, k.label) for k in EventKind]


class ChannelForm(forms.Form):
    kind = forms.ChoiceField(choices=ChannelKind.choices, initial=ChannelKind.EMAIL)
    name = forms.CharField(max_length=100, required=False, help_text="Empty: the address or URL.")
    target = forms.CharField(label="Email address or webhook URL", max_length=1000)
    secret = forms.CharField(
        label="Webhook secret", required=False, max_length=1000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Webhooks only, at least 16 characters: each request's X-Signature is the HMAC-SHA256 of its body "
                  "with it. Stored encrypted, never shown. Empty on an edit: keep the current one.")
    events = forms.MultipleChoiceField(choices=EVENT_CHOICES, required=False, widget=forms.CheckboxSelectMultiple,
                                       help_text="None ticked: every kind.")
    enabled = forms.BooleanField(required=False, initial=True)


class SubscriptionForm(forms.Form):
    enabled = forms.BooleanField(label="Email me", required=False)
    events = forms.MultipleChoiceField(choices=EVENT_CHOICES, required=False, widget=forms.CheckboxSelectMultiple,
                                       help_text="None ticked: every kind.")
