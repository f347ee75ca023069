"""Arbitrary input never raises anything but the project's own error types."""

from hypothesis import given, settings
from hypothesis import strategies as st

from applications.cfg import CfgError, parse_cfg, render_cfg, writable
from applications.validators import TransportParamsError, parse_transport_params
from applications.versions import InvalidVersion, parse_version
from security.crypto.errors import CertificateError
from security.crypto.parse import read_upload

cfg_like = st.lists(
    st.one_of(
        st.text(max_size=40),
        st.builds(lambda s: f"[{s}]", st.text(max_size=12)),
        st.builds(lambda k, v: f"{k} = {v}", st.text(max_size=12), st.text(max_size=20)),
    ),
    max_size=20,
).map("\n".join)


@given(st.binary(max_size=2000))
@settings(max_examples=300, deadline=None)
def test_cfg_parser_on_arbitrary_bytes_raises_only_cfg_error(data):
    try:
        parse_cfg(data)
    except CfgError:
        pass


@given(cfg_like)
@settings(max_examples=300, deadline=None)
def test_cfg_parser_on_cfg_like_text_raises_only_cfg_error(text):
    try:
        parse_cfg(text.encode("utf-8", "surrogatepass"))
    except CfgError:
        pass


# Names and values without control characters or spaces at the edges (the parser strips those).
PLAIN = ("Cc", "Cs", "Zl", "Zp", "Zs")
section_name = st.text(alphabet=st.characters(blacklist_categories=PLAIN, blacklist_characters="[]"),
                       min_size=1, max_size=15)
option_name = st.text(alphabet=st.characters(blacklist_categories=PLAIN, blacklist_characters="=[]"),
                      min_size=1, max_size=15)
value = st.text(alphabet=st.characters(blacklist_categories=PLAIN), max_size=30)


@given(st.dictionaries(st.tuples(section_name, option_name), value, max_size=15))
@settings(max_examples=200, deadline=None)
def test_render_then_parse_gives_the_same_options(options):
    # What the writer accepts (applications.option_text): invisible format characters are refused in names.
    rows = sorted((s, n, v) for (s, n), v in options.items() if writable(s, n, v))
    parsed = parse_cfg(render_cfg(rows).encode())
    assert [(e.section, e.name, e.value) for e in parsed] == rows


@given(st.text(max_size=200))
@settings(max_examples=500, deadline=None)
def test_transport_parameter_parser_raises_only_its_error(text):
    try:
        pairs = parse_transport_params(text)
    except TransportParamsError:
        return
    assert all(name and "=" not in name for name, _ in pairs)


@given(st.lists(st.tuples(st.from_regex(r"[A-Za-z][A-Za-z0-9_.-]{0,10}", fullmatch=True),
                          st.from_regex(r"[A-Za-z0-9_./:-]{1,12}", fullmatch=True)),
                unique_by=lambda p: p[0], max_size=6))
@settings(max_examples=200, deadline=None)
def test_well_formed_transport_parameters_parse_back(pairs):
    text = ";".join(f"{n}={v}" for n, v in pairs)
    assert parse_transport_params(text) == pairs


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_version_parser_raises_only_invalid_version(text):
    try:
        parse_version(text)
    except InvalidVersion:
        pass


@given(st.binary(max_size=4000), st.one_of(st.none(), st.text(max_size=12)))
@settings(max_examples=300, deadline=None)
def test_certificate_reader_raises_only_certificate_error(data, password):
    try:
        read_upload(data, password=password)
    except CertificateError:
        pass
