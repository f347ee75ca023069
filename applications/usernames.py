"""User names that cannot pass for another user: what the audit trail shows as the actor.

One rule, in ``validate_new_username``, for every place a user gets a name: the Users page (its form
and the ``user_save`` service) and ``seed_demo``. Django's ``createsuperuser`` is Django's own and
applies only Django's checks (see SECURITY.md).

- **Characters**: Django's ``ASCIIUsernameValidator``: the letters A–Z and a–z, digits and
  ``@ . + - _``, nothing else, so no markup, no spaces, tabs or line breaks, no invisible characters
  (zero-width space, direction marks) and no letters of other scripts. Django's default
  ``UnicodeUsernameValidator`` accepts the Cyrillic ``а`` of ``аdmin`` and every other look-alike
  of a Latin letter; a console run by a handful of administrators loses nothing by ASCII.
- **No two names that look the same**: a new name is refused when its ``username_key`` equals that
  of an existing user. The key is Unicode's NFKC normalisation, then case folding, then the entries
  of Unicode's confusables data (UTS #39, ``confusables.txt``) that map ASCII to ASCII among the
  characters allowed: ``0`` looks like ``O``, ``1`` and ``I`` like ``l``, ``m`` like ``rn``. With
  ASCII-only names, that is all the confusables data has to say: every other entry maps a
  character the validator already refuses.

Names saved before this rule are left as they are (never change what was typed); they are compared
with new names by the same key.
"""

from __future__ import annotations

import unicodedata

from django.contrib.auth.models import User
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.core.exceptions import ValidationError

ALLOWED_CHARACTERS = "the letters A to Z and a to z, digits and @ . + - _"

# confusables.txt (UTS #39) entries from an ASCII character allowed in names to ASCII, applied after
# case folding (so "I" → "l" appears as "i" → "l": "Ian" and "lan" share a key).
_ASCII_CONFUSABLES = str.maketrans({"0": "o", "1": "l", "i": "l", "m": "rn"})

_CHARACTER_NAMES = {"\n": "a line break", "\r": "a carriage return", "\t": "a tab", " ": "a space"}

_validate_characters = ASCIIUsernameValidator()


def username_key(name: str) -> str:
    """What two names that look alike have in common: equal keys, same-looking names."""
    return unicodedata.normalize("NFKC", name).casefold().translate(_ASCII_CONFUSABLES)


def validate_new_username(name: str, *, user: User | None = None) -> None:
    """Raise ValidationError unless ``name`` may be given to a new user (or to ``user``, renamed)."""
    if not name:
        raise ValidationError("A user needs a name.")
    max_length = User._meta.get_field("username").max_length
    if len(name) > max_length:
        raise ValidationError(f"A user name has at most {max_length} characters.")
    try:
        _validate_characters(name)
    except ValidationError:
        raise ValidationError(
            f"A user name may contain only {ALLOWED_CHARACTERS}; this one contains {_first_refused(name)}."
        ) from None
    key = username_key(name)
    others = User.objects.exclude(pk=user.pk) if user is not None and user.pk else User.objects.all()
    for existing in others.values_list("username", flat=True):
        if existing.casefold() == name.casefold():
            raise ValidationError(f"A user named {existing} already exists (names that differ only in case are one).")
        if username_key(existing) == key:
            raise ValidationError(
                f"This name looks too much like the existing user {existing}: choose one that cannot be "
                "mistaken for it in the audit trail."
            )


def _first_refused(name: str) -> str:
    for character in name:
        if _validate_characters.regex.fullmatch(character):
            continue
        if character in _CHARACTER_NAMES:
            return _CHARACTER_NAMES[character]
        code = f"U+{ord(character):04X}"
        if character.isascii() and character.isprintable():
            return f"the character {character} ({code})"
        description = unicodedata.name(character, "")
        return f"{description.lower()} ({code})" if description else f"the invisible or control character {code}"
    return "a character that is not allowed"
