"""``{{ health|health_badges }}``: an application's TLS readiness and finding counts as the lists show them
(a verdict badge, "2 errors", "1 warning"). One writing for the host page's template and the applications
list's rows, which are written in Python (``applications.views.application_row_html``)."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


def plural(count: int) -> str:
    return "" if count == 1 else "s"


def health_html(health) -> str:
    """The badges of an ``applications.health.Health`` (nothing for None)."""
    if health is None:
        return ""
    if health.verdict == "ready":
        html = '<span class="badge text-bg-success">ready</span>'
    elif health.verdict == "not ready":
        html = '<span class="badge text-bg-danger">not ready</span>'
    elif health.verdict:
        html = f'<span class="badge text-bg-secondary">{escape(health.verdict)}</span>'
    else:
        html = ""
    if health.errors:
        html += f' <span class="text-danger-emphasis">{health.errors} error{plural(health.errors)}</span>'
    if health.warnings:
        html += f' <span class="text-muted">{health.warnings} warning{plural(health.warnings)}</span>'
    return html


@register.filter
def health_badges(health) -> str:
    return mark_safe(health_html(health))  # noqa: S308 - health_html escapes the one text it writes
