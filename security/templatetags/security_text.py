"""How the security pages say things: one fingerprint format with its Copy button, finding titles.

``{% fingerprint cert.fingerprint_sha256 %}`` is the only way a template shows a fingerprint, so it
reads the same on every page (upper case, colon separated) and can be copied whole even where only
its start is shown (``short=True``). The button is wired by ``static/js/copy.js`` (no inline script:
the Content-Security-Policy forbids it).
"""

from django import template
from django.utils.html import format_html

from security.checks.codes import CODES
from security.crypto.identity import ROLE_LABELS, format_fingerprint

register = template.Library()


@register.simple_tag
def fingerprint(hex_digest: str, short: bool = False) -> str:
    if not hex_digest:
        return ""
    full = format_fingerprint(hex_digest)
    shown = format_fingerprint(hex_digest, short=True) if short else full
    return format_html(
        '<span class="fingerprint"><span class="mono small fingerprint-value" title="SHA-256: {}">{}</span> '
        '<button type="button" class="btn btn-outline-secondary btn-copy" data-copy="{}" '
        'aria-label="Copy the SHA-256 fingerprint">Copy</button></span>',
        full, shown, full,
    )


@register.filter
def finding_title(code: str) -> str:
    """The operator's words for a finding code (the code itself stays in a tooltip, the CSV, the API)."""
    known = CODES.get(code)
    return known.title if known else code


@register.filter
def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role)
