"""The README's Python example: the same text as examples/api_example.py, and it does what it says
against a live server, with a token from ``manage.py api_token``."""

import importlib.util
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from applications.models import Option
from security.models import StoreAssignment, TrustedStore
from tests.checks.world import World

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "api_example.py"


def test_the_readme_shows_the_example_verbatim():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("\n## REST API\n"):]
    section = section[: section.find("\n## ", 1)]
    assert f"```python\n{EXAMPLE.read_text()}```" in section


@pytest.fixture
def no_throttle(settings):
    settings.API_TOKEN_RATE = "100000/min"


@pytest.mark.django_db(transaction=True)
def test_the_example_rolls_a_ca_out_to_a_cluster_on_a_live_server(live_server, users, cert_files, no_throttle,
                                                                 capsys):
    world = World(cert_files)
    world.store("Genesys CA", certs=("other-ca.pem",))
    out = io.StringIO()
    call_command("api_token", "security", "--name", "rollout", stdout=out)
    token = out.getvalue().strip()
    spec = importlib.util.spec_from_file_location("api_example", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)

    result = example.roll_out_ca(live_server.url, token, str(cert_files["ca.pem"]), "Genesys CA",
                                 "Cobrowse_Cluster")

    store = TrustedStore.objects.get(name="Genesys CA")
    assert sorted(store.entries.values_list("certificate__common_name", flat=True)) == [
        "Co-browse Test Root CA", "Unrelated Test CA"]
    for node in (world.node1, world.node2):
        assert StoreAssignment.objects.get(application=node).store == store
        assert Option.objects.get(application=node, section="security", name="trusted-ca").value == store.path
    assert result["sweep"]["status"] == "done" and result["sweep"]["percent"] == 100
    assert set(result["nodes"]) == {"Cobrowse_Node_1", "Cobrowse_Node_2"}
    assert all(verdict in ("ready", "not ready") for verdict in result["nodes"].values()), result
    printed = capsys.readouterr().out
    assert "Co-browse Test Root CA: no warning" in printed and "Cobrowse_Node_1: " in printed


@pytest.mark.django_db
def test_cluster_apply_takes_the_etag_of_a_cluster_with_several_nodes(api, cert_files):
    world = World(cert_files)
    store = world.store("Genesys CA", certs=("ca.pem",))
    client = api("security")
    url = f"/api/v1/applications/{world.cluster.pk}/security/cluster-apply/"
    read = client.get(url)
    assert len(read.json()["nodes"]) == 2
    response = client.post(url, {"provider": "PEM", "store": store.pk}, **{"If-Match": read["ETag"]})
    assert response.status_code == 200, response.content
