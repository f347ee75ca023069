"""The option catalogue validates known options: security/provider and cluster/url (and friends)."""

import pytest

from applications.catalogue import (
    AFTER_RESTART,
    FOR_NEW_SESSIONS,
    IMMEDIATELY,
    OptionValueError,
    is_secret,
    spec_for,
    takes_effect_after_restart,
)
from applications.models import AppType, Option
from applications.options import OptionChange, OptionsInvalid, clean_change, option_delete, option_set, option_value

NODE, CLUSTER, SERVER = AppType.COBROWSE_NODE, AppType.COBROWSE_CLUSTER, AppType.COBROWSE_SERVER


def provider_spec():
    return spec_for(NODE, "8.5.003.04", "security", "provider")


def url_spec():
    return spec_for(CLUSTER, "8.5.003.04", "cluster", "url")


@pytest.mark.parametrize("value", ["", "MSCAPI", "PEM", "JKS"])
def test_provider_accepts_the_four_values_of_the_source_document(value):
    assert provider_spec().clean(value) == value


def test_provider_surrounding_spaces_are_refused_not_trimmed():
    # Never change what the operator typed: " PEM " is not PEM, and the message says what is.
    with pytest.raises(OptionValueError, match="Did you mean PEM?"):
        provider_spec().clean(" PEM ")


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("pem", "Did you mean PEM?"),
        ("Jks", "Did you mean JKS?"),
        ("mscapi", "Did you mean MSCAPI?"),
        ("MSCAP", "Did you mean MSCAPI?"),
        ("NONE", None),
        ("none", None),
        ("disabled", None),
        ("PEM JKS", None),
        ("PEM;JKS", None),
        ("PKCS12", None),
        ("P EM", "Did you mean PEM?"),  # a stray space: close enough to suggest (difflib)
    ],
)
def test_provider_refuses_anything_else_and_says_what_is_valid(value, hint):
    with pytest.raises(OptionValueError) as error:
        provider_spec().clean(value)
    message = str(error.value)
    assert "MSCAPI, PEM, JKS" in message
    if hint:
        assert hint in message
    else:
        assert "Did you mean" not in message


def test_provider_is_edited_with_a_select_of_the_valid_values():
    assert provider_spec().valid_values == ("", "MSCAPI", "PEM", "JKS")


def test_the_three_security_options_take_effect_after_restart_and_only_the_password_is_secret():
    for name in ("provider", "trusted-ca", "truststore-password"):
        spec = spec_for(NODE, "8.5.003.04", "security", name)
        assert spec.takes_effect == AFTER_RESTART
        assert spec.description
        assert spec.secret == (name == "truststore-password")
    assert is_secret("security", "truststore-password")


@pytest.mark.parametrize(
    "value",
    [
        "http://cobrowse.example.com/cobrowse",
        "https://cobrowse.example.com/cobrowse",
        "https://10.0.1.11:8443/cobrowse",
        "HTTPS://cobrowse.example.com",
        "https://[2001:db8::1]:8443/cobrowse",
    ],
)
def test_cluster_url_accepts_absolute_http_and_https_urls(value):
    assert url_spec().clean(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "/cobrowse",
        "cobrowse.example.com/cobrowse",
        "//cobrowse.example.com/cobrowse",
        "ftp://cobrowse.example.com/cobrowse",
        "file:///etc/passwd",
        "https://cobrowse.example.com/co browse",
        "https://cobrowse example.com/",
        "http://",
        "https://:8443/cobrowse",
        "https://cobrowse.example.com:99999/",
        "https://cobrowse.example.com:port/",
        "javascript:alert(1)",
    ],
)
def test_cluster_url_refuses_what_is_not_an_absolute_http_url(value):
    with pytest.raises(OptionValueError):
        url_spec().clean(value)


def test_cluster_url_takes_effect_immediately_and_server_url_for_new_sessions():
    assert url_spec().takes_effect == IMMEDIATELY
    assert spec_for(CLUSTER, "8.5.003.04", "cluster", "serverUrl").takes_effect == FOR_NEW_SESSIONS
    assert not takes_effect_after_restart(CLUSTER, "8.5.003.04", "cluster", "url")


def test_an_option_not_in_the_catalogue_is_free_text_and_counts_as_after_restart():
    assert spec_for(NODE, "8.5.003.04", "custom", "anything") is None
    assert takes_effect_after_restart(NODE, "8.5.003.04", "custom", "anything")


def test_option_names_are_case_sensitive_in_the_catalogue():
    assert spec_for(NODE, "8.5.003.04", "security", "Provider") is None
    assert spec_for(NODE, "8.5.003.04", "Security", "provider") is None
    assert spec_for(CLUSTER, "8.5.003.04", "cluster", "URL") is None


def test_cluster_options_do_not_apply_to_a_message_server():
    assert spec_for(AppType.MESSAGE_SERVER, "8.5.100", "cluster", "url") is None


def test_cluster_url_is_mandatory_on_a_cluster_but_not_on_a_node(env):
    fixed, error = clean_change(env.cluster, OptionChange("cluster", "url", ""))
    assert "mandatory" in error
    fixed, error = clean_change(env.node, OptionChange("cluster", "url", ""))
    assert error is None


def test_cluster_url_cannot_be_removed_from_a_cluster(env):
    with pytest.raises(OptionsInvalid) as invalid:
        option_delete(application=env.cluster, section="cluster", name="url", actor=env.users["operator"])
    assert "mandatory" in invalid.value.errors["[cluster] url"]
    assert option_value(env.cluster, "cluster", "url") == "https://cb.example.com/cobrowse"


def test_a_refused_provider_is_not_saved(env):
    with pytest.raises(OptionsInvalid) as invalid:
        option_set(application=env.node, section="security", name="provider", value="pem",
                   actor=env.users["security"])
    assert "Did you mean PEM?" in invalid.value.errors["[security] provider"]
    assert option_value(env.node, "security", "provider") == "PEM"


def test_a_provider_typed_with_spaces_is_refused_not_trimmed(env):
    # Never change what the operator typed: the spaces are named, nothing is stored.
    with pytest.raises(OptionsInvalid) as invalid:
        option_set(application=env.node, section="security", name="provider", value=" JKS ",
                   actor=env.users["security"])
    assert "cannot start or end with spaces" in invalid.value.errors["[security] provider"]
    assert Option.objects.get(application=env.node, section="security", name="provider").value == "PEM"


def test_only_a_security_officer_may_change_the_security_section(env):
    with pytest.raises(OptionsInvalid) as invalid:
        option_set(application=env.node, section="security", name="provider", value="JKS",
                   actor=env.users["operator"])
    assert "Security officer" in invalid.value.errors["[security] provider"]
    option_set(application=env.node, section="security", name="provider", value="JKS", actor=env.users["admin"])
    assert option_value(env.node, "security", "provider") == "JKS"
