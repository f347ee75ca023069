"""Values quoted in messages for operators: plainly, on one line, never as a Python repr.

Python's repr shows ``'C:\\\\certs\\\\ca.pem'`` (doubled backslashes, Python's quotes). Operators must
see what they typed: ``"C:\\certs\\ca.pem"``. A control or invisible character would break the
message's line or hide in it, so it is shown as a visible symbol instead (a line feed as ␊, U+2028
as [U+2028]).
"""

import unicodedata

INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def visible(ch: str) -> str:
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␀ … ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    if unicodedata.category(ch) in INVISIBLE_CATEGORIES:
        return f"[U+{code:04X}]"
    return ch


def shown(value: object, limit: int = 200) -> str:
    """The value as one line of visible text, shortened with … past ``limit`` characters."""
    text = "".join(visible(ch) for ch in str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(value: object, limit: int = 200) -> str:
    """``"value"``: what the operator typed, between plain double quotes, on one line."""
    return f'"{shown(value, limit)}"'


# A cell starting with = + - @ is a formula to spreadsheet programs: such a cell is kept text.
FORMULA_STARTS = frozenset(("=", "+", "-", "@", "\t", "\r"))


def csv_cell(value) -> str:
    """A CSV cell a spreadsheet shows as text (the review's export, the audit trail's)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text
