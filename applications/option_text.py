"""What an option's section, name and value may hold: the one validator of every write path.

The editor, the ``.cfg`` import, the services (and so the future API) and the ``.cfg`` writer ask
the functions here, so a text the console accepts is exactly a text a ``.cfg`` file carries back
unchanged (``applications.cfg``). Pure functions, no Django: any string either gets a message
saying what is wrong, or round-trips through an export and an import.

What is refused, and why:
- control characters (tab, line breaks, ESC, DEL, NEL, ...), surrogates and the Unicode line and
  paragraph separators: a ``.cfg`` line ends at a line break, and other readers split lines on
  more characters than ``\\n`` (Python's ``str.splitlines`` on eight others), so an exported file
  could re-import as other options;
- spaces at the start or end of a name or value: a ``.cfg`` line is read without them;
- in names, format characters (zero-width spaces, direction overrides): two names that look the
  same would be two options;
- in names, ``[``, ``]`` and ``=``, and an option name starting with ``#`` or ``;`` (a comment);
- the text a ``.cfg`` export writes in place of a secret, as a value: importing it keeps the secret;
- names and values longer than ``applications.limits`` allows.
"""

import unicodedata

from applications.limits import MAX_NAME_LENGTH, MAX_VALUE_LENGTH

# Written by a .cfg export instead of a secret; importing it keeps the stored secret.
SECRET_PLACEHOLDER = "<secret not exported>"

# Cc: control characters (C0, DEL, C1 with NEL); Cs: surrogates; Zl, Zp: line and paragraph separators.
FORBIDDEN_EVERYWHERE = frozenset({"Cc", "Cs", "Zl", "Zp"})
# Cf: format characters, invisible (zero-width space, word joiner, direction overrides, BOM).
FORBIDDEN_IN_NAMES = FORBIDDEN_EVERYWHERE | {"Cf"}


def first_forbidden(text: str, categories: frozenset) -> str | None:
    if text.isprintable():
        return None  # the usual case, in C: no character of Cc, Cf, Cs, Zl, Zp (nor Co, Cn, Zs but space)
    for ch in text:
        if unicodedata.category(ch) in categories:
            return ch
    return None


def describe_character(ch: str) -> str:
    """``U+2028 (LINE SEPARATOR)``: how a message names a character the operator cannot see."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def name_problem(kind: str, text: str) -> str | None:
    """Why ``text`` cannot be a section (``kind`` "section") or option (``kind`` "option") name, or None."""
    if not text or not text.strip():
        return f"the {kind} name cannot be empty"
    if len(text) > MAX_NAME_LENGTH:
        return f"the {kind} name is {len(text):,} characters long; the limit is {MAX_NAME_LENGTH:,}"
    bad = first_forbidden(text, FORBIDDEN_IN_NAMES)
    if bad is not None:
        return (f"the {kind} name holds an invisible or control character, {describe_character(bad)}: "
                "type the name again without it")
    if text != text.strip():
        return f"the {kind} name cannot start or end with spaces"
    if any(ch in text for ch in "[]="):
        return f"the {kind} name cannot contain [, ] or ="
    if kind == "option" and text.startswith(("#", ";")):
        # In a .cfg file such a line is a comment: the option would vanish on export and import.
        return f"the {kind} name cannot start with # or ;"
    return None


def value_problem(text: str) -> str | None:
    """Why ``text`` cannot be an option's value, or None. The empty value is a value."""
    if len(text) > MAX_VALUE_LENGTH:
        return f"the value is {len(text):,} characters long; the limit is {MAX_VALUE_LENGTH:,}"
    if text == SECRET_PLACEHOLDER:
        return f"{SECRET_PLACEHOLDER} is what an export writes in place of a secret; it cannot be a value"
    return value_syntax_problem(text)


def value_syntax_problem(text: str) -> str | None:
    """What in ``text`` a ``.cfg`` line cannot carry back unchanged (the limits aside), or None."""
    bad = first_forbidden(text, FORBIDDEN_EVERYWHERE)
    if bad is not None:
        if bad in "\r\n\u2028\u2029\x85\x0b\x0c":
            return f"a value is one line of text: it holds a line break, {describe_character(bad)}"
        return f"the value holds a control character, {describe_character(bad)}: type it again without it"
    if text != text.strip():
        return "the value cannot start or end with spaces (a .cfg file would not keep them)"
    return None


def fold(text: str) -> str:
    """The form two names are compared in when case must not matter: ``[Security]``, ``[SECURITY]``
    and ``[ｓｅｃｕｒｉｔｙ]`` (full-width) all fold to ``security``."""
    return unicodedata.normalize("NFKC", text).casefold()


def is_secret_name(name: str) -> bool:
    """A secret by its name, in any section of any application: ``*password*``, ``*-pwd``, ``*secret*``,
    whatever the case. Such a value is encrypted at rest and never shown, exported or audited."""
    folded = fold(name)
    return "password" in folded or "secret" in folded or folded.endswith("-pwd")
