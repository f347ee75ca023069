"""R4: what each provider writes into the security section, and what is refused."""

import pytest

from applications.models import Option
from applications.options import option_value
from cobrowse_admin import secret_box
from security.models import StoreAssignment
from security.section import SectionRefused, security_section_set

from .conftest import JKS_PASSWORD


def section(app) -> dict[str, str]:
    return {o.name: o.value for o in Option.objects.filter(application=app, section="security")}


def apply(env, app, provider, store=None, typed_path=""):
    return security_section_set(application=app, provider=provider, store=store, typed_path=typed_path,
                                actor=env.users["security"])


def test_jks_writes_the_path_and_the_store_password_encrypted(env):
    apply(env, env.node_a, "JKS", env.jks)
    option = Option.objects.get(application=env.node_a, section="security", name="truststore-password")
    assert option.is_secret
    assert option.value != JKS_PASSWORD and JKS_PASSWORD not in option.value
    assert secret_box.decrypt(option.value) == JKS_PASSWORD
    assert option_value(env.node_a, "security", "trusted-ca") == "/opt/genesys/certs/truststore.jks"
    assert option_value(env.node_a, "security", "provider") == "JKS"
    assert StoreAssignment.objects.get(application=env.node_a).store == env.jks


def test_pem_writes_the_path_and_removes_the_password(env):
    apply(env, env.node_a, "JKS", env.jks)
    apply(env, env.node_a, "PEM", env.pem)
    assert section(env.node_a) == {"provider": "PEM", "trusted-ca": "/opt/genesys/certs/certificateCA.pem"}
    assert StoreAssignment.objects.get(application=env.node_a).store == env.pem


def test_pem_accepts_a_typed_path_and_forgets_the_store(env):
    apply(env, env.node_a, "PEM", env.pem)
    apply(env, env.node_a, "PEM", typed_path="  /etc/pki/genesys-ca.pem ")
    assert section(env.node_a) == {"provider": "PEM", "trusted-ca": "/etc/pki/genesys-ca.pem"}
    assert not StoreAssignment.objects.filter(application=env.node_a).exists()


def test_empty_provider_disables_tls_and_clears_the_other_two(env):
    apply(env, env.node_a, "JKS", env.jks)
    apply(env, env.node_a, "")
    assert section(env.node_a) == {}
    assert not StoreAssignment.objects.filter(application=env.node_a).exists()


def test_mscapi_on_windows_has_no_path_and_no_password(env):
    apply(env, env.node_win, "JKS", env.jks)
    apply(env, env.node_win, "MSCAPI", env.mscapi)
    assert section(env.node_win) == {"provider": "MSCAPI"}
    assert StoreAssignment.objects.get(application=env.node_win).store == env.mscapi


def test_mscapi_needs_no_store(env):
    apply(env, env.node_win, "MSCAPI")
    assert section(env.node_win) == {"provider": "MSCAPI"}


def test_mscapi_on_linux_is_refused_with_the_reason(env):
    with pytest.raises(SectionRefused) as refused:
        apply(env, env.node_a, "MSCAPI")
    assert "Windows certificate store" in refused.value.message
    assert "cb-linux-01 (Linux)" in refused.value.message
    assert refused.value.field == "provider"
    assert section(env.node_a) == {}


def test_mscapi_on_an_application_without_host_is_refused(env):
    env.node_b.host = None
    env.node_b.save()
    with pytest.raises(SectionRefused, match="no host"):
        apply(env, env.node_b, "MSCAPI")


@pytest.mark.parametrize(("provider", "store_name"), [("PEM", "jks"), ("JKS", "pem"), ("MSCAPI", "pem"),
                                                      ("PEM", "mscapi")])
def test_a_store_of_another_provider_is_refused(env, provider, store_name):
    app = env.node_win
    with pytest.raises(SectionRefused) as refused:
        apply(env, app, provider, getattr(env, store_name))
    assert refused.value.field == "store"
    assert f"needs a {provider} store" in refused.value.message
    assert section(app) == {}


def test_a_jks_store_without_password_is_refused(env):
    with pytest.raises(SectionRefused, match="has no password"):
        apply(env, env.node_a, "JKS", env.jks_nopass)
    assert section(env.node_a) == {}


def test_jks_with_a_typed_path_is_refused_because_the_password_comes_from_a_store(env):
    with pytest.raises(SectionRefused, match="import the keystore into a JKS store"):
        apply(env, env.node_a, "JKS", typed_path="/opt/k.jks")


@pytest.mark.parametrize(("provider", "store_name", "typed_path", "message"), [
    ("PEM", None, "", "Choose a PEM store or type the path"),
    ("PEM", "pem", "/x.pem", "not both"),
    ("PEM", None, "C:\\certs\\", "give the file name too"),
    ("JKS", None, "", "Choose a JKS store"),
    ("MSCAPI", None, "C:\\ca.cer", "does not apply to MSCAPI"),
    ("", "pem", "", "TLS is disabled"),
    ("pem", None, "", "is not a provider"),
])
def test_incomplete_or_contradictory_requests_are_refused(env, provider, store_name, typed_path, message):
    store = getattr(env, store_name) if store_name else None
    with pytest.raises(SectionRefused, match=message):
        apply(env, env.node_win, provider, store, typed_path)
    assert section(env.node_win) == {}


def test_setting_the_same_section_twice_changes_nothing(env):
    assert apply(env, env.node_a, "JKS", env.jks) == 3
    assert apply(env, env.node_a, "JKS", env.jks) == 0


def test_a_changed_store_password_and_path_follow_into_the_applications_set_from_it(env):
    from security.section import store_changed
    from security.stores import store_save

    apply(env, env.node_a, "JKS", env.jks)
    apply(env, env.node_b, "PEM", env.pem)
    env.jks.path = "/opt/genesys/certs/new-truststore.jks"
    store_save(store=env.jks, certificates=[], password="a-new-keystore-pass", actor=env.users["security"])
    changed, problems = store_changed(store=env.jks, actor=env.users["security"])
    assert changed == [env.node_a] and problems == []
    assert option_value(env.node_a, "security", "truststore-password") == "a-new-keystore-pass"
    assert option_value(env.node_a, "security", "trusted-ca") == "/opt/genesys/certs/new-truststore.jks"
    assert option_value(env.node_b, "security", "trusted-ca") == "/opt/genesys/certs/certificateCA.pem"


def test_a_store_whose_password_was_removed_is_reported_not_applied(env):
    from security.section import store_changed

    apply(env, env.node_a, "JKS", env.jks)
    env.jks.password_encrypted = ""
    env.jks.save()
    changed, problems = store_changed(store=env.jks, actor=env.users["security"])
    assert changed == [] and "has no password" in problems[0]
    assert option_value(env.node_a, "security", "truststore-password") == JKS_PASSWORD
