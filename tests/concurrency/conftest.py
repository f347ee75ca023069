"""Two people at once: an environment with one object of each kind, and sessions that open pages the
way a browser does (every field the page's form would send, hidden version included)."""

from html import unescape
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils.html import strip_tags

from applications.models import Application, AppType, Connection, Host, OperatingSystem, Option, Port
from applications.restart import take_running_snapshot
from security import certificates as cert_service
from security.models import Certificate, Provider, TrustedStore
from security.stores import store_save
from tests.certs.make_certs import INTERMEDIATE_CN, OTHER_CN, ROOT_CN
from tests.foundation.forms_html import page_forms

JKS_PASSWORD = "Jks-Concurrency-Pass-1"


@pytest.fixture
def env(db, users, cert_files):
    linux = Host.objects.create(name="core-01", address="10.0.0.5", os_type=OperatingSystem.LINUX)
    spare = Host.objects.create(name="spare-01", address="10.0.9.9", os_type=OperatingSystem.LINUX)
    cluster = Application.objects.create(name="CB_Cluster", app_type=AppType.COBROWSE_CLUSTER, version="8.5.003.04",
                                         host=linux)
    node_a = Application.objects.create(name="CB_Node_A", app_type=AppType.COBROWSE_NODE, version="8.5.003.04",
                                        host=linux, cluster=cluster, working_directory="/opt/genesys/cb_node_a")
    node_b = Application.objects.create(name="CB_Node_B", app_type=AppType.COBROWSE_NODE, version="8.5.003.04",
                                        host=linux, cluster=cluster)
    message = Application.objects.create(name="MessageServer", app_type=AppType.MESSAGE_SERVER,
                                         version="8.5.100.03", host=linux)
    secure = Port.objects.create(application=message, port_id="secure", number=4021, secured=True)
    default = Port.objects.create(application=message, port_id="default", number=4020)
    connection = Connection.objects.create(client=node_a, port=secure)
    Option.objects.create(application=node_a, section="log", name="verbose", value="standard")
    Option.objects.create(application=node_a, section="web", name="maxSessions", value="10")  # after restart
    for app in (cluster, node_a, node_b, message):
        take_running_snapshot(app)
    officer = users["security"]
    items = [(cert_files[name].read_bytes(), "der", name) for name in ("ca.crt", "intermediate.crt", "other-ca.crt")]
    cert_service.import_certificates(items=items, actor=officer)
    certs = {c.common_name: c for c in Certificate.objects.all()}
    root, intermediate, other = certs[ROOT_CN], certs[INTERMEDIATE_CN], certs[OTHER_CN]
    pem = store_save(store=TrustedStore(name="Partners (PEM)", provider=Provider.PEM, path="/opt/genesys/certs/ca.pem",
                                        description="CAs of the partner sites"),
                     certificates=[root, intermediate], password=None, actor=officer)
    jks = store_save(store=TrustedStore(name="Genesys CA (JKS)", provider=Provider.JKS,
                                        path="/opt/genesys/certs/truststore.jks"),
                     certificates=[root], password=JKS_PASSWORD, actor=officer)
    return SimpleNamespace(
        linux=linux, spare=spare, cluster=cluster, node_a=node_a, node_b=node_b, message=message, secure=secure,
        default=default, connection=connection, root=root, intermediate=intermediate, other=other, pem=pem, jks=jks,
        users=users,
    )


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs the block's on-commit work (the checks and restart tracking, eager here)."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def sessions(users):
    """``first, second = sessions("operator")``: two logged-in sessions, as two tabs or two people."""

    def open_two(username: str, other: str | None = None) -> tuple[Client, Client]:
        first, second = Client(), Client()
        first.force_login(users[username])
        second.force_login(users[other or username])
        return first, second

    return open_two


def opened(client: Client, url: str, *, containing: str = "opened_version") -> dict[str, list[str]]:
    """What the page's POST form (the one with a field named ``containing``) would send now."""
    response = client.get(url)
    assert response.status_code == 200, url
    for form in page_forms(response.content.decode()):
        names = [name for name, _value in form["fields"]]
        if form["method"] == "post" and containing in names:
            data: dict[str, list[str]] = {}
            for name, value in form["fields"]:
                data.setdefault(name, []).append(value)
            return data
    raise AssertionError(f"no POST form with {containing} on {url}")


def banner(response) -> str:
    """The conflict banner's text (whitespace collapsed); fails when the page has none."""
    html = response.content.decode()
    assert response.status_code == 200, response.status_code
    start = html.find('id="stale-edit"')
    assert start != -1, "no conflict banner on the page"
    end = html.find("</div>", start)
    return " ".join(unescape(strip_tags(html[start:end])).split())


def page_text(response) -> str:
    return " ".join(unescape(strip_tags(response.content.decode())).split())
