"""The JKS password reaches the options encrypted and is never rendered, downloaded or logged."""

import logging

from django.urls import reverse

from .conftest import JKS_PASSWORD


def test_the_password_appears_in_no_page_no_download_and_no_log(env, client_as, committed, caplog):
    caplog.set_level(logging.DEBUG)
    officer = client_as("security")
    with committed():
        response = officer.post(reverse("security:section", args=[env.node_a.pk]),
                                {"provider": "JKS", "store": env.jks.pk, "revision": 0, "_apply": ""})
        assert response.status_code == 302
    with committed():
        response = officer.post(reverse("security:section_cluster", args=[env.cluster.pk]), {
            "provider": "JKS", "store": env.jks.pk,
            "revisions": ",".join(f"{n.pk}:{n.options_revision}" for n in env.cluster.nodes.all()),
        })
        assert response.status_code == 302
    pages = [
        reverse("security:section", args=[env.node_a.pk]),
        reverse("security:section", args=[env.cluster.pk]),
        reverse("security:section_cluster", args=[env.cluster.pk]),
        reverse("applications:detail", args=[env.node_a.pk]),
        reverse("applications:options", args=[env.node_a.pk]),
        reverse("applications:options_edit", args=[env.node_a.pk]),
        reverse("applications:options_export", args=[env.node_a.pk]),
        reverse("applications:history", args=[env.node_a.pk]),
        reverse("applications:history_events", args=[env.node_a.pk]),
        reverse("applications:audit"),
        reverse("security:setenv", args=[env.node_a.pk]),
        reverse("security:setenv_download", args=[env.node_a.pk, "sh"]),
        reverse("security:setenv", args=[env.node_win.pk]),
        reverse("security:setenv_download", args=[env.node_win.pk, "bat"]),
    ]
    for role in ("security", "admin", "viewer"):
        client = client_as(role)
        for page in pages:
            response = client.get(page)
            if response.status_code == 403:
                continue
            assert response.status_code == 200, (role, page)
            assert JKS_PASSWORD.encode() not in response.content, (role, page)
            assert "Tr0ub4dor&amp;3" not in response.content.decode(), (role, page)
    for record in caplog.records:
        assert JKS_PASSWORD not in record.getMessage()
        assert JKS_PASSWORD not in str(record.args)
