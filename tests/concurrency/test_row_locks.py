"""The row locks the services take, with two real transactions at once (PostgreSQL).

A version check holds only if the row stays locked from the check to the commit, and if every
writer of what the version covers takes the same lock first. The upload's "add to store" is such a
writer: it reads the store's members and writes them back with the new certificates.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from security import certificates as cert_service
from security.models import StoreEntry, TrustedStore
from security.stores import store_save
from tests.conftest import require

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_adding_imported_certificates_waits_for_a_store_save_and_keeps_its_removal(env):
    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    officer = env.users["security"]
    saved, errors = threading.Event(), []

    def remove_the_intermediate() -> None:
        try:
            with transaction.atomic():
                store_save(store=TrustedStore.objects.get(pk=env.pem.pk), certificates=[env.root], password=None,
                           actor=officer)
                saved.set()
                time.sleep(0.5)  # the upload's addition starts meanwhile
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
            saved.set()
        finally:
            connections.close_all()

    def add_the_other_ca() -> None:
        try:
            saved.wait(10)
            with transaction.atomic():
                cert_service.add_to_store(store=env.pem, certificates=[env.other], actor=officer)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=remove_the_intermediate), threading.Thread(target=add_the_other_ca)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert not errors, errors
    members = list(StoreEntry.objects.filter(store=env.pem).order_by("position")
                   .values_list("certificate_id", flat=True))
    assert members == [env.root.pk, env.other.pk], "the removed intermediate came back"
