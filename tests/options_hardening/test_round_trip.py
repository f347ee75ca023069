"""Values that round-trip (issue 17, point 4): one validator, and a .cfg writer and reader that agree.

Properties: any string is either refused by the validator (with a message) or written and read back
unchanged; any configuration the services accept exports and imports back as itself. And the attack
of the issue: a value holding U+2028, NEL, VT, FF, FS... can no longer be saved, and a file holding one
is refused, never read as other options (new ``[security]`` ones).
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from applications.cfg import CfgError, parse_cfg, render_cfg, writable
from applications.models import Application, AppType, Option
from applications.option_text import name_problem, value_problem
from applications.options import OptionChange, OptionsInvalid, option_set, option_value, options_apply
from applications.options_io import apply_import, export_cfg, preview_import
from tests.options_hardening.conftest import add_row, editor_url, import_url, open_editor

# Every character a reader might take for a line break, and a few other troublemakers.
BREAKERS = ["\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x1b", "\x7f", "\t",
            "\x00"]
# Text with plenty of what breaks readers: line separators, controls, spaces, brackets, =, #, BOM, surrogates.
TRICKY = st.lists(st.one_of(
    st.sampled_from(BREAKERS + [" ", "\u00a0", "\u3000", "[", "]", "=", "#", ";", "\ufeff", "\u200b", "\u202e",
                                "\ud800", "\r\n", "<secret not exported>"]),
    st.characters(codec="utf-8"),
    st.characters(),
), max_size=12).map("".join)


class Rollback(Exception):
    pass


@given(TRICKY)
@settings(max_examples=1500, deadline=None)
def test_any_value_is_refused_or_written_and_read_back_unchanged(text):
    if value_problem(text) is not None:
        return
    entries = parse_cfg(render_cfg([("web", "greeting", text)]).encode())
    assert [(e.section, e.name, e.value) for e in entries] == [("web", "greeting", text)]


@given(TRICKY, TRICKY)
@settings(max_examples=1500, deadline=None)
def test_any_section_and_option_name_is_refused_or_written_and_read_back_unchanged(section, name):
    if name_problem("section", section) or name_problem("option", name):
        return
    entries = parse_cfg(render_cfg([(section, name, "v")]).encode())
    assert [(e.section, e.name, e.value) for e in entries] == [(section, name, "v")]


@given(TRICKY)
@settings(max_examples=500, deadline=None)
def test_the_writer_never_writes_what_it_would_not_read_back(text):
    rows = [("web", "greeting", text)]
    if not writable(*rows[0]):
        with pytest.raises(CfgError):
            render_cfg(rows)
        return
    assert [(e.section, e.name, e.value) for e in parse_cfg(render_cfg(rows).encode())] == rows


@pytest.mark.parametrize("breaker", BREAKERS)
def test_a_value_with_a_line_breaker_is_refused_by_the_service_and_by_the_editor(breaker, env, client_as, committed):
    value = f"x{breaker}[security]{breaker}provider = JKS"
    with pytest.raises(OptionsInvalid) as invalid:
        option_set(application=env.chat, section="web", name="greeting", value=value, actor=env.users["admin"])
    assert "U+" in invalid.value.errors["[web] greeting"]  # the character is named, not shown
    client = client_as("operator")
    data = open_editor(client, env.chat)
    add_row(data, "web", "greeting", value)
    with committed():
        response = client.post(editor_url(env.chat), data)
    assert response.status_code == 200 and "Nothing was saved" in response.content.decode()
    assert not Option.objects.filter(application=env.chat).exists()


@pytest.mark.parametrize("breaker", [b for b in BREAKERS if b not in "\n\t\x00"])
def test_a_file_whose_value_holds_a_line_breaker_is_refused_not_read_as_other_options(breaker, env, client_as):
    data = f"[web]\ngreeting = hello{breaker}[security]{breaker}truststore-password = x\n".encode()
    with pytest.raises(CfgError, match="Line 2: control characters are not allowed"):
        parse_cfg(data)
    response = client_as("security").post(import_url(env.chat), {"file": SimpleUploadedFile("x.cfg", data)})
    assert response.context["preview"] is None and "control characters" in str(response.context["form"].errors)


def test_a_comment_holding_a_line_breaker_stays_a_comment():
    data = "# exported\u2028[security]\x85provider = JKS\n[web]\nx = 1\n".encode()
    assert [(e.section, e.name, e.value) for e in parse_cfg(data)] == [("web", "x", "1")]


def test_an_option_stored_before_the_rules_is_left_out_of_the_export_and_named(env):
    Option.objects.create(application=env.chat, section="web", name="greeting", value="a\u2028[security]")
    Option.objects.create(application=env.chat, section="web", name="ok", value="fine")
    text = export_cfg(env.chat)
    assert [(e.section, e.name, e.value) for e in parse_cfg(text.encode())] == [("web", "ok", "fine")]
    assert "Not exported, 1 option(s) whose name or value holds a line break" in text and "[web] greeting" in text


# Mostly what the services accept (a configuration is accepted only when all its options are), some not.
PRINTABLE = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp", "Cf"))
OPTION_NAMES = st.one_of(
    st.text(alphabet=PRINTABLE, min_size=1, max_size=12).map(str.strip).filter(bool),
    st.sampled_from(["verbose", "truststore-password", "db-PWD", "client secret", "#x", "a=b"]),
)
VALUES = st.one_of(
    st.text(alphabet=PRINTABLE, max_size=20).map(str.strip),
    st.text(alphabet=PRINTABLE, max_size=20).map(str.strip),
    st.sampled_from(["all", "debug", "PEM", "", "https://x.example/", "a = b ; #c", "\ufeffbom", "<secret>"]),
    TRICKY,
)
CONFIGURATIONS = st.dictionaries(st.tuples(st.sampled_from(["web", "log", "security", "db", "Cluster", "ä ü", "#s"]),
                                           OPTION_NAMES), VALUES, min_size=1, max_size=8)


@given(configuration=CONFIGURATIONS, app_type=st.sampled_from([AppType.COBROWSE_NODE, AppType.MESSAGE_SERVER]))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_configuration_the_services_accept_exports_and_imports_back_as_itself(configuration, app_type, env):
    officer = env.users["security"]
    try:
        with transaction.atomic():
            app = Application.objects.create(name="Round_Trip", app_type=app_type, version="8.5.003.04")
            changes = [OptionChange(s, n, v) for (s, n), v in configuration.items()]
            try:
                options_apply(application=app, changes=changes, actor=officer)
            except OptionsInvalid:
                assume(False)
            stored = {(o.section, o.name): (o.value, o.is_secret) for o in Option.objects.filter(application=app)}
            exported = export_cfg(app).encode()
            assert "Not exported" not in exported.decode()
            rows = preview_import(app, exported, actor=officer)
            assert {r.status for r in rows} <= {"unchanged", "secret kept"}
            assert apply_import(application=app, data=exported, actor=officer,
                                expected_revision=app.options_revision) == 0
            assert {(o.section, o.name): (o.value, o.is_secret) for o in Option.objects.filter(application=app)} \
                == stored
            # And into an empty application: the same options, secrets aside (they are never exported).
            twin = Application.objects.create(name="Round_Trip_Twin", app_type=app_type, version="8.5.003.04")
            apply_import(application=twin, data=exported, actor=officer, expected_revision=0)
            assert {k: option_value(twin, *k) for k in stored if not stored[k][1]} == \
                {k: option_value(app, *k) for k in stored if not stored[k][1]}
            assert set(Option.objects.filter(application=twin).values_list("section", "name")) == \
                {k for k in stored if not stored[k][1]}
            raise Rollback
    except Rollback:
        pass


def test_export_then_import_through_the_pages_is_the_identity(env, client_as, committed):
    officer = env.users["security"]
    for section, name, value in (("web", "greeting", "Grüß Gott = hello; #1"), ("web", "a#b;c", "# not a comment"),
                                 ("db", "db-password", "Secret-Pass-1"), ("log", "verbose", "trace"),
                                 ("#web", "x", ""), ("web", "nbsp", "a\u00a0b"), ("web", "bom", "\ufeffx")):
        option_set(application=env.node, section=section, name=name, value=value, actor=officer)
    before = {(o.section, o.name): (o.value, o.is_secret) for o in Option.objects.filter(application=env.node)}
    client = client_as("security")
    exported = client.get(f"/applications/{env.node.pk}/options/export/").content
    response = client.post(import_url(env.node), {"file": SimpleUploadedFile("n.cfg", exported)})
    assert set(response.context["counts"]) == {"unchanged", "secret kept"}
    with committed():
        client.post(import_url(env.node), {"_confirm": "", "digest": response.context["digest"]})
    assert {(o.section, o.name): (o.value, o.is_secret) for o in Option.objects.filter(application=env.node)} \
        == before
