"""Issue 17.9: user names that could pass for another user in the audit trail are refused.

Every attack of the issue goes through the Users page as an Administrator (one case each), and the
same rule holds in the ``user_save`` service and in ``seed_demo``. Other roles cannot reach the page.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from applications.models import AuditEvent
from applications.roles import ADMINISTRATOR, OPERATOR, VIEWER
from applications.usernames import username_key, validate_new_username
from applications.users import user_save
from tests.opened import version_on

NEW_USER_URL = reverse("applications:user_new")
PASSWORD = "Str0ng-enough-pass-4711"

# (what the issue names, the name typed, words of the message the administrator reads)
ATTACKS = [
    ("markup", "<b>admin</b>", "this one contains the character < (U+003C)"),
    ("script", "<script>alert(1)</script>", "this one contains the character < (U+003C)"),
    ("line break", "eve\nadmin", "this one contains a line break"),
    ("carriage return", "eve\r\nadmin", "this one contains a carriage return"),
    ("tab", "eve\tadmin", "this one contains a tab"),
    ("Cyrillic a", "\u0430dmin", "this one contains cyrillic small letter a (U+0430)"),
    ("other case", "Admin", "A user named admin already exists (names that differ only in case are one)"),
    ("zero-width space after", "admin\u200b", "this one contains zero width space (U+200B)"),
    ("zero-width space inside", "ad\u200bmin", "this one contains zero width space (U+200B)"),
    ("right-to-left override", "nimda\u202e", "this one contains right-to-left override (U+202E)"),
    ("fullwidth letters", "\uff41\uff44\uff4d\uff49\uff4e", "this one contains fullwidth latin small letter a"),
    ("leading space", " admin", "this one contains a space"),
    ("trailing space", "admin ", "this one contains a space"),
    ("rn for m", "adrnin", "This name looks too much like the existing user admin"),
    ("zero for o", "0perator", "This name looks too much like the existing user operator"),
    ("l for i", "vlewer", "This name looks too much like the existing user viewer"),
]


def new_user_form(username: str, role: str = VIEWER) -> dict:
    return {"username": username, "role": role, "active": "on", "password": PASSWORD}


def username_errors(response) -> list[str]:
    return list(response.context["form"].errors.get("username", []))


@pytest.mark.parametrize(("attack", "name", "words"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_the_users_page_refuses_a_name_that_could_pass_for_another(client_as, attack, name, words):
    admin = client_as("admin")
    users_before, events_before = User.objects.count(), AuditEvent.objects.count()

    response = admin.post(NEW_USER_URL, new_user_form(name, ADMINISTRATOR))

    assert response.status_code == 200
    assert any(words in error for error in username_errors(response)), username_errors(response)
    assert (User.objects.count(), AuditEvent.objects.count()) == (users_before, events_before)


@pytest.mark.parametrize("name", ["jane.doe", "ops-2", "a+b@example.com", "o_k", "Security2", "x" * 150])
def test_the_users_page_accepts_plain_ascii_names(client_as, name):
    response = client_as("admin").post(NEW_USER_URL, new_user_form(name))

    assert response.status_code == 302
    assert User.objects.filter(username=name).exists()


def test_the_message_names_the_allowed_characters(client_as):
    response = client_as("admin").post(NEW_USER_URL, new_user_form("\u0430dmin"))

    assert username_errors(response) == [
        "A user name may contain only the letters A to Z and a to z, digits and @ . + - _; this one contains "
        "cyrillic small letter a (U+0430)."
    ]


@pytest.mark.parametrize("role", ["viewer", "operator", "security"])
def test_other_roles_cannot_create_users(client_as, role):
    users_before = User.objects.count()

    response = client_as(role).post(NEW_USER_URL, new_user_form("newcomer"))

    assert response.status_code == 403
    assert User.objects.count() == users_before


def test_a_user_named_before_the_rule_can_still_be_edited(client_as, users):
    # Names are never changed behind the operator's back: an old look-alike keeps its name and its
    # role can still be changed (the name field is shown, not edited).
    legacy = User.objects.create_user("\u0430dmin", password=PASSWORD)

    client, url = client_as("admin"), reverse("applications:user_edit", kwargs={"pk": legacy.pk})
    response = client.post(url, {"role": OPERATOR, "active": "on", "password": "", **version_on(client, url)})

    assert response.status_code == 302
    legacy.refresh_from_db()
    assert legacy.username == "\u0430dmin" and legacy.groups.get().name == OPERATOR


def test_the_service_refuses_the_same_names_as_the_page(users):
    for _attack, name, words in ATTACKS:
        with pytest.raises(ValidationError) as raised:
            user_save(user=None, username=name, role=VIEWER, active=True, password=PASSWORD, actor=users["admin"])
        assert words in " ".join(raised.value.messages)
    assert not AuditEvent.objects.filter(object_type="user").exists()


def test_seed_demo_refuses_to_create_a_demo_user_that_looks_like_an_existing_one(db):
    User.objects.create_user("Admin", password=PASSWORD)  # made before the rule, say

    with pytest.raises(CommandError) as raised:
        call_command("seed_demo")

    assert str(raised.value) == (
        "demo user admin: A user named Admin already exists (names that differ only in case are one)."
    )
    assert list(User.objects.values_list("username", flat=True)) == ["Admin"]


def test_look_alike_keys():
    assert username_key("Admin") == username_key("admin") == username_key("adrnin")
    assert username_key("0scar") == username_key("Oscar") == username_key("oscar")
    assert username_key("Ian") == username_key("lan") == username_key("1an")
    assert username_key("\uff41dmin") == username_key("admin")  # NFKC: fullwidth a
    assert username_key("bob") != username_key("rob")


def test_a_name_is_compared_with_every_other_user_but_itself(users):
    validate_new_username("admin", user=users["admin"])  # its own name: no clash
    with pytest.raises(ValidationError):
        validate_new_username("ADMIN", user=users["viewer"])
