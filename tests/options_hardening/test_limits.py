"""Limits that hold at any size (issue 17, point 5): one set, the same in the editor, the import and the services.

The editor shows a page of rows whatever the application holds, so its form stays under Django's
limit on posted fields (it answered 400 above about 245 options), saves only what changed, and can
still remove or keep a value stored before the limits existed (a 100 KB one). Speed is measured in
``benchmarks/options_scale.py``, not here.
"""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from applications import limits, options
from applications.forms import OptionRowForm
from applications.limits import EDITOR_NEW_ROWS, EDITOR_PAGE_ROWS, MAX_NAME_LENGTH, MAX_VALUE_LENGTH
from applications.models import AuditEvent, Option
from applications.options import OptionsInvalid, option_set, option_value
from tests.foundation.forms_html import formset_rows, post_form_data, row_index
from tests.options_hardening.conftest import add_row, editor_url, import_url, open_editor


def fill(app, count: int, section_size: int = 25) -> None:
    Option.objects.bulk_create(Option(application=app, section=f"s{i // section_size:03d}", name=f"o{i:05d}",
                                      value=str(i)) for i in range(count))


def preview(client, app, text: str):
    return client.post(import_url(app), {"file": SimpleUploadedFile("x.cfg", text.encode())})


def test_a_page_of_the_editor_posts_fewer_fields_than_django_accepts():
    fields_per_row = len(OptionRowForm.base_fields)
    most = (EDITOR_PAGE_ROWS + 10 + EDITOR_NEW_ROWS) * fields_per_row + 10  # rows, catalogue rows, blank rows, rest
    assert most < settings.DATA_UPLOAD_MAX_NUMBER_FIELDS


def test_an_application_with_many_options_is_edited_page_by_page(env, client_as, committed):
    fill(env.chat, 1200)
    client = client_as("operator")
    data = open_editor(client, env.chat)
    assert len(formset_rows(data)) <= EDITOR_PAGE_ROWS + 10 + EDITOR_NEW_ROWS
    assert len(data) < settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    page = client.get(editor_url(env.chat)).content.decode()
    assert f"Options 1–{EDITOR_PAGE_ROWS} of 1200" in page

    data = open_editor(client, env.chat, "page=7")  # options 601-700
    i = row_index(data, "s026", "o00650")
    data[f"form-{i}-value"] = "changed"
    with committed():
        response = client.post(editor_url(env.chat, "page=7"), data)
    assert response.status_code == 302
    assert option_value(env.chat, "s026", "o00650") == "changed"
    # Only the changed row is saved, audited, and counted.
    assert AuditEvent.objects.filter(application=env.chat, object_type="option").count() == 1

    section = open_editor(client, env.chat, "section=s040")
    assert {r["section"] for r in formset_rows(section) if r.get("section")} == {"s040"}
    found = client.get(editor_url(env.chat, "q=o0111")).content.decode()
    assert "o01110" in found and "o00650" not in found
    assert client.get(f"/applications/{env.chat.pk}/options/?page=12").status_code == 200


def test_a_new_option_added_on_a_later_page_is_refused_when_it_exists_on_another(env, client_as, committed):
    fill(env.chat, 300)
    client = client_as("operator")
    data = open_editor(client, env.chat, "page=3")
    add_row(data, "s000", "o00001", "merged?")  # on page 1, not on this one
    with committed():
        response = client.post(editor_url(env.chat, "page=3"), data)
    assert "[s000] o00001 already exists" in response.content.decode()
    assert option_value(env.chat, "s000", "o00001") == "1"


def test_a_value_stored_before_the_limit_can_be_kept_or_removed_in_the_editor(env, client_as, committed):
    Option.objects.create(application=env.chat, section="web", name="huge", value="x" * 100_000)
    Option.objects.create(application=env.chat, section="web", name="small", value="1")
    client = client_as("operator")
    data = open_editor(client, env.chat)
    data[f"form-{row_index(data, 'web', 'small')}-value"] = "2"
    with committed():
        assert client.post(editor_url(env.chat), data).status_code == 302  # the huge value, unchanged, is kept
    assert option_value(env.chat, "web", "small") == "2" and len(option_value(env.chat, "web", "huge")) == 100_000

    data = open_editor(client, env.chat)
    i = row_index(data, "web", "huge")
    data[f"form-{i}-value"] = "y" * 100_000
    with committed():
        response = client.post(editor_url(env.chat), data)
    assert f"the value is 100,000 characters long; the limit is {MAX_VALUE_LENGTH:,}" in response.content.decode()
    data[f"form-{i}-value"] = "x" * 100_000
    data[f"form-{i}-delete"] = "on"
    with committed():
        assert client.post(editor_url(env.chat), data).status_code == 302
    assert option_value(env.chat, "web", "huge") is None


def test_the_value_and_name_limits_are_the_same_in_the_editor_the_import_and_the_service(env, client_as, committed):
    client = client_as("operator")
    long_value, long_name = "v" * (MAX_VALUE_LENGTH + 1), "n" * (MAX_NAME_LENGTH + 1)
    value_message = f"the value is {MAX_VALUE_LENGTH + 1:,} characters long; the limit is {MAX_VALUE_LENGTH:,}"
    name_message = f"the option name is {MAX_NAME_LENGTH + 1:,} characters long; the limit is {MAX_NAME_LENGTH:,}"
    for name, value, message in (("long", long_value, value_message), (long_name, "1", name_message)):
        with pytest.raises(OptionsInvalid, match=message):
            option_set(application=env.chat, section="web", name=name, value=value, actor=env.users["admin"])
        data = open_editor(client, env.chat)
        add_row(data, "web", name, value)
        with committed():
            assert message in client.post(editor_url(env.chat), data).content.decode()
        row = preview(client, env.chat, f"[web]\n{name} = {value}\n").context["preview"][0]
        assert (row.status, row.message) == ("invalid", f"line 2: {message}")
    option_set(application=env.chat, section="web", name="n" * MAX_NAME_LENGTH, value="v" * MAX_VALUE_LENGTH,
               actor=env.users["admin"])
    assert not Option.objects.filter(application=env.chat, name="long").exists()


def test_the_number_of_options_is_limited_for_every_write_path(env, client_as, committed, monkeypatch):
    monkeypatch.setattr(options, "MAX_OPTIONS_PER_APPLICATION", 30)
    fill(env.chat, 28)
    client = client_as("operator")
    response = preview(client, env.chat, "[web]\na = 1\nb = 2\nc = 3\n")
    with committed():
        done = client.post(import_url(env.chat), {"_confirm": "", "digest": response.context["digest"]}, follow=True)
    assert "ChatServer would hold 31 options; an application holds at most 30" in done.content.decode()
    assert Option.objects.filter(application=env.chat).count() == 28

    data = open_editor(client, env.chat)
    for name in ("a", "b", "c"):
        add_row(data, "web", name, "1")
    with committed():
        page = client.post(editor_url(env.chat), data).content.decode()
    assert "Nothing was saved" in page and "would hold 31 options" in page
    # Changing or removing options stays possible at the limit.
    option_set(application=env.chat, section="web", name="a", value="1", actor=env.users["admin"])
    option_set(application=env.chat, section="web", name="b", value="1", actor=env.users["admin"])
    option_set(application=env.chat, section="s000", name="o00001", value="x", actor=env.users["admin"])
    with pytest.raises(OptionsInvalid, match="would hold 31 options"):
        option_set(application=env.chat, section="web", name="c", value="1", actor=env.users["admin"])


def test_a_cfg_file_larger_than_the_limit_is_refused(env, client_as):
    data = b"[web]\n" + b"x = " + b"y" * (limits.MAX_CFG_BYTES) + b"\n"
    response = client_as("operator").post(import_url(env.chat), {"file": SimpleUploadedFile("big.cfg", data)})
    assert f"an options file is at most {limits.MAX_CFG_BYTES:,}" in str(response.context["form"].errors)


def test_the_largest_file_of_the_limits_imports(env, client_as, committed):
    """20,000 options in the editor's and the import's limits: the count is the binding one, not the bytes."""
    lines = ["[log]", "verbose = standard"]
    for i in range(limits.MAX_OPTIONS_PER_APPLICATION - 1):
        lines += ([f"[s{i // 25:03d}]"] if i % 25 == 0 else []) + [f"o{i:05d} = value {i}"]
    text = "\n".join(lines) + "\n"
    assert len(text.encode()) < limits.MAX_CFG_BYTES
    client = client_as("operator")
    response = preview(client, env.message, text)
    assert response.context["counts"] == {"new": limits.MAX_OPTIONS_PER_APPLICATION}
    with committed():
        client.post(import_url(env.message), {"_confirm": "", "digest": response.context["digest"]})
    assert Option.objects.filter(application=env.message).count() == limits.MAX_OPTIONS_PER_APPLICATION
    assert client.get(editor_url(env.message)).status_code == 200
    data = post_form_data(client.get(editor_url(env.message, "section=s400")), containing="TOTAL_FORMS")
    data[f"form-{row_index(data, 's400', 'o10000')}-value"] = "changed"
    with committed():
        assert client.post(editor_url(env.message, "section=s400"), data).status_code == 302
    assert option_value(env.message, "s400", "o10000") == "changed"
