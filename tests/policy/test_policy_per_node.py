"""A Cluster client's connection runs on each of its Nodes, each reading its own section and Host: the
policy judges each Node's own effective parameters, and an issue only some Nodes have is theirs."""

import pytest

from applications.models import OperatingSystem
from security.checks.verdict import runner_key
from security.models import Finding
from security.validation import subject_of

pytestmark = [pytest.mark.django_db, pytest.mark.tls_policy]


def name_check_findings(connection) -> list[tuple[str, str]]:
    return list(Finding.objects.filter(subject=subject_of(connection), code="policy.client_no_name_check")
                .order_by("detail_key").values_list("detail_key", "message"))


def test_only_the_node_whose_host_does_not_ask_for_the_name_check_has_the_finding(world):
    w = world
    w.tls_options(w.message, certificate="/opt/ms/cert.pem")
    w.node2.host = w.host("cb-linux-02", OperatingSystem.LINUX, "10.0.1.12")
    w.node2.save()
    w.host_tls_options(w.linux, tls_target_name_check="host")  # Node 1's host asks for it; Node 2's does not
    connection = w.connect(w.cluster, w.message_secure)
    w.validate(connection)

    found = name_check_findings(connection)
    assert [key for key, _message in found] == [runner_key(w.node2.pk)]
    assert found[0][1].startswith("Cobrowse_Node_2 → MessageServer:secure (4021): tls-target-name-check is not set")

    # Both hosts ask for it: no finding; neither: one, the connection's, as before.
    w.host_tls_options(w.node2.host, tls_target_name_check="host")
    w.validate(connection)
    assert name_check_findings(connection) == []
    w.host_tls_options(w.linux, tls_target_name_check="none")
    w.host_tls_options(w.node2.host, tls_target_name_check="none")
    w.validate(connection)
    assert [key for key, _message in name_check_findings(connection)] == [""]
