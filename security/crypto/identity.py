"""How the console names a certificate to an operator: its fingerprint and its role in a chain.

Pure functions over plain values (no Django), so the library, the certificate page, the upload
preview, the store pages, the findings and the command line all say it the same way:

- a SHA-256 fingerprint is written upper case, two hex digits per byte, colon separated
  (``AB:CD:…``), the form ``openssl x509 -fingerprint -sha256`` and the Windows certificate dialog
  show; a search accepts it in any of the forms an operator may paste;
- a certificate's role is *root* (a self-signed CA), *intermediate* (a CA signed by another) or
  *leaf* (not a CA: a server's own certificate, no trust anchor).
"""

import re

ROOT = "root"
INTERMEDIATE = "intermediate"
LEAF = "leaf"

ROLE_LABELS = {
    ROOT: "root CA (self-signed)",
    INTERMEDIATE: "intermediate CA",
    LEAF: "leaf (not a CA)",
}

_HEX = re.compile(r"[0-9a-f]+")
# What may surround or separate the digits of a pasted fingerprint: colons, spaces, dashes, and a
# label such as "SHA256 Fingerprint=" (openssl) or "sha256:" in front.
_SEPARATORS = re.compile(r"[\s:\-]")
_LABEL = re.compile(r"^\s*(sha-?256\s*(fingerprint)?\s*[=:]?)", re.IGNORECASE)


def format_fingerprint(hex_digest: str, *, short: bool = False) -> str:
    """``ab12cd…`` → ``AB:12:CD:…``; ``short``: the first 8 bytes followed by an ellipsis."""
    digits = hex_digest.replace(":", "").upper()
    pairs = [digits[i : i + 2] for i in range(0, len(digits), 2)]
    if short and len(pairs) > 8:
        return ":".join(pairs[:8]) + "…"
    return ":".join(pairs)


def fingerprint_query(text: str) -> str | None:
    """The lower-case hex digits of a pasted (part of a) fingerprint, in whatever form it came:
    ``AB:CD:EF``, ``ab cd ef``, ``abcdef``, ``SHA256 Fingerprint=AB:CD…``. None when ``text`` is not
    one (a name, say), or is shorter than two bytes, which would match nearly everything."""
    digits = _SEPARATORS.sub("", _LABEL.sub("", text)).lower().rstrip("…")
    if len(digits) < 4 or not _HEX.fullmatch(digits):
        return None
    return digits


def certificate_role(*, is_ca: bool, self_signed: bool) -> str:
    """``root``, ``intermediate`` or ``leaf``: what the certificate is in a chain of trust."""
    if not is_ca:
        return LEAF
    return ROOT if self_signed else INTERMEDIATE
