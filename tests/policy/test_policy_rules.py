"""The TLS policy's rules: switched off and tuned by the settings, reading parameters through the resolver
(the message says where the value came from), and the pure helpers at their edges."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from applications.models import AppType
from security.checks.codes import CODES
from security.checks.policy import (
    POLICY_CODES,
    RULES,
    PolicySettingsError,
    ciphers_outside,
    parse_policy,
    protocol_rank,
)
from security.policy import policy_settings
from tests.checks.world import finding

pytestmark = [pytest.mark.django_db, pytest.mark.tls_policy]


def client_of_secure_port(w, **client_options):
    w.tls_options(w.message, certificate="/opt/ms/cert.pem")
    client = w.app("StatServer", AppType.OTHER, "8.5.100.01", host=w.core)
    if client_options:
        w.tls_options(client, **client_options)
    return w.connect(client, w.message_secure)


def test_every_policy_code_is_a_finding_code_with_its_rule():
    assert set(POLICY_CODES) <= set(CODES)
    assert sorted(POLICY_CODES) == sorted({c for c in CODES if c.startswith("policy.")})
    assert len({rule.name for rule in RULES}) == len(RULES) == 8


def test_a_rule_s_search_text_finds_each_of_its_codes_and_no_other():
    for rule in RULES:
        assert [c for c in CODES if rule.search in c] == sorted(rule.codes, key=list(CODES).index), rule.name


def test_a_rule_switched_off_in_the_settings_produces_nothing(world, settings):
    connection = client_of_secure_port(world)
    assert "policy.client_no_name_check" in world.validate(connection)

    settings.TLS_POLICY = {"disabled": ["target_name_check"]}
    assert "policy.client_no_name_check" not in world.validate(connection)

    # By its code too; the other rules still run.
    world.tls_options(connection.client, sec_protocol="TLSv1")
    settings.TLS_POLICY = {"disabled": ["policy.client_no_name_check"]}
    found = world.validate(connection)
    assert "policy.client_no_name_check" not in found and "policy.client_protocol_below_minimum" in found


def test_the_minimum_protocol_is_a_setting(world, settings):
    world.tls_options(world.message, certificate="/opt/ms/cert.pem", sec_protocol="TLSv12")
    assert "policy.port_protocol_below_minimum" not in world.validate(world.message)

    settings.TLS_POLICY = {"min_protocol": "TLSv13"}
    assert "policy.port_protocol_below_minimum" in world.validate(world.message)
    text = finding(world.message, "policy.port_protocol_below_minimum")
    assert 'sec-protocol "TLSv12" (from Application MessageServer) is below the minimum TLSv13' in text.message
    assert "Set sec-protocol to TLSv13 (or newer) on Application MessageServer" in text.hint
    assert text.detail_key == "secure"


def test_the_allowed_ciphers_are_a_setting(world, settings):
    connection = client_of_secure_port(world, tls_target_name_check="host", cipher_list="AES256-SHA")
    found = world.validate(connection)
    assert "policy.client_cipher_not_allowed" in found
    assert "AES256-SHA" in finding(connection, "policy.client_cipher_not_allowed").message

    settings.TLS_POLICY = {"allowed_ciphers": ["AES256-SHA", "ECDHE-RSA-AES128-GCM-SHA256"]}
    assert "policy.client_cipher_not_allowed" not in world.validate(connection)


def test_the_rules_read_the_effective_value_a_connection_overrides(world):
    # The host says TLSv1; the connection's own transport parameters say TLSv12: the connection wins.
    world.host_tls_options(world.core, sec_protocol="TLSv1", tls_target_name_check="host")
    connection = client_of_secure_port(world)
    assert "policy.client_protocol_below_minimum" in world.validate(connection)
    assert "(from Host genesys-core-01)" in finding(connection, "policy.client_protocol_below_minimum").message
    connection.transport_params = "sec-protocol=TLSv12"
    connection.save()
    assert "policy.client_protocol_below_minimum" not in world.validate(connection)


def test_a_port_that_is_not_secure_is_not_judged(world):
    world.port(world.message, "plain", 4040, params="sec-protocol=SSLv3;cipher-list=RC4-MD5")
    found = world.validate(world.message)
    assert not {"policy.port_protocol_below_minimum", "policy.port_cipher_not_allowed"} & found


def test_a_backup_pair_names_what_differs(world):
    backup = world.app("MessageServer_B", AppType.MESSAGE_SERVER, "8.5.100.03", host=world.linux)
    world.port(backup, "secure", 4021, params="tls=1;sec-protocol=TLSv12")
    world.port(backup, "secure2", 4022, params="tls=1")
    world.message.backup_server = backup
    world.message.save()

    assert "policy.backup_mismatch" in world.validate(world.message)
    text = finding(world.message, "policy.backup_mismatch").message
    assert "MessageServer has no secure port secure2" in text
    assert 'port secure: sec-protocol empty against "TLSv12"' in text
    assert "port secure: certificate" not in text  # neither has one: the same


def test_a_change_to_the_backup_re_checks_its_primary(world, django_capture_on_commit_callbacks, users):
    from applications import services
    from applications.forms import PortForm

    backup = world.app("MessageServer_B", AppType.MESSAGE_SERVER, "8.5.100.03", host=world.linux)
    world.port(backup, "secure", 4021, params="tls=1")
    world.message.backup_server = backup
    world.message.save()
    assert "policy.backup_mismatch" not in world.validate(world.message)

    form = PortForm(data={"port_id": "secure2", "number": 4022, "mode": "secure", "transport_params": "tls=1"},
                    application=backup)
    assert form.is_valid(), form.errors
    with django_capture_on_commit_callbacks(execute=True):
        services.save_object(form=form, actor=users["operator"])

    assert "policy.backup_mismatch" in set(world.message.findings.values_list("code", flat=True))


@pytest.mark.parametrize(("value", "rank"), [("TLSv12", 4), ("TLSv1.2", 4), ("tlsv13", 5), ("SSLv23", 1),
                                            ("TLSv11,TLSv12", 3), ("TLSv9", None), ("", None)])
def test_protocol_ranks(value, rank):
    assert protocol_rank(value) == rank


def test_ciphers_outside_ignores_exclusions_and_directives():
    allowed = ("ECDHE-RSA-AES128-GCM-SHA256",)
    assert ciphers_outside("ECDHE-RSA-AES128-GCM-SHA256:!RC4:-MD5:@STRENGTH", allowed) == []
    assert ciphers_outside("ecdhe-rsa-aes128-gcm-sha256, RC4-SHA +DES-CBC3-SHA", allowed) == ["RC4-SHA",
                                                                                              "DES-CBC3-SHA"]


@pytest.mark.parametrize("raw", [{"disabled": ["nonsense"]}, {"min_protocol": "TLSv9"}, {"allowed_ciphers": []},
                                 {"min_protocol": "TLSv11,TLSv12"}, {"enable": ["all"]}])
def test_a_wrong_setting_is_named(raw):
    with pytest.raises(PolicySettingsError):
        parse_policy(raw)


def test_the_settings_error_reaches_the_console_as_improperly_configured(settings):
    settings.TLS_POLICY = {"min_protocol": "TLSv0"}
    with pytest.raises(ImproperlyConfigured, match='min_protocol "TLSv0" is not a protocol'):
        policy_settings()


def test_disabled_takes_rules_codes_and_all():
    assert parse_policy({"disabled": "all"}).enabled == frozenset()
    assert parse_policy({"disabled": "mutual_crl, policy.server_no_certificate"}).enabled == (
        frozenset(POLICY_CODES) - {"policy.mutual_no_crl", "policy.server_no_certificate"})
    assert parse_policy({"enabled": ["min_protocol"]}).enabled == frozenset(
        {"policy.port_protocol_below_minimum", "policy.client_protocol_below_minimum"})
