"""An options save and the checks of the same Cluster, at the same moment, both finish (PostgreSQL).

Found by benchmarks/editors.py: a save on a Node updates the Node's row twice, so at commit
PostgreSQL checks the Node's foreign key to its Cluster, which takes a KEY SHARE lock on the
Cluster's row. The checks of the Node's Cluster group lock the Cluster's row, then wait for the
Node's. Had the checks locked the rows FOR UPDATE, each would wait for the other (deadlock, a 500 for
the operator); FOR NO KEY UPDATE still makes validators and writers take turns but lets a
foreign key check through.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from applications.models import Application, AppType, Host
from applications.options import OptionChange, options_apply
from security import validation
from tests.conftest import require

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_save_on_a_node_and_the_checks_of_its_cluster_group_both_finish(users):
    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    host = Host.objects.create(name="h", address="10.0.0.1", os_type="linux")
    cluster = Application.objects.create(name="Cluster", app_type=AppType.COBROWSE_CLUSTER, version="8.5.003.04",
                                         host=host)
    node = Application.objects.create(name="Node", app_type=AppType.COBROWSE_NODE, version="8.5.003.04", host=host,
                                      cluster=cluster)
    saved, checks_waiting = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def save() -> None:
        try:
            with transaction.atomic():
                options_apply(application=node, changes=[OptionChange("log", "verbose", "debug")],
                              actor=users["operator"])
                saved.set()
                checks_waiting.wait(10)
            # committed here: the deferred foreign key check of the Node's row runs now
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
            saved.set()
        finally:
            connections.close_all()

    def check() -> None:
        try:
            saved.wait(10)
            validation.validate_applications(application_ids=[cluster.pk, node.pk],
                                             cache=validation.ValidationCache())
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save), threading.Thread(target=check)]
    for thread in threads:
        thread.start()
    saved.wait(10)
    time.sleep(0.5)  # the checks have locked the Cluster's row and wait for the Node's
    checks_waiting.set()
    for thread in threads:
        thread.join(30)

    assert not errors, errors
    assert Application.objects.get(pk=node.pk).options_revision == 1
