"""A ports import and a port edit at the same moment, in two real transactions (PostgreSQL).

The import checks the ports' version only once it holds the application's row, which every port
write takes first: a port edit still uncommitted when the import starts is seen by the check, and
the import is refused rather than applied over a page that no longer shows the ports as they are.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from applications import services
from applications.forms import PortForm
from applications.models import Port
from applications.ports_io import apply_ports_import, ports_version
from applications.versioning import EditConflict
from tests.conftest import require

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_an_import_waits_for_a_port_edit_in_progress_and_is_refused_after_it(env):
    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    operator = env.users["operator"]
    opened = ports_version(env.message)  # the Server Info tab, before the edit
    saved, outcome = threading.Event(), {}

    def switch_on_mutual_tls() -> None:
        try:
            with transaction.atomic():
                port = Port.objects.get(pk=env.secure.pk)
                form = PortForm({"port_id": "secure", "number": "4021", "mode": "default",
                                 "transport_params": "tls=1;tls-mutual=1", "secured": "on", "mutual_tls": "on"},
                                instance=port, application=env.message)
                assert form.is_valid(), form.errors
                services.save_object(form=form, actor=operator)
                saved.set()
                time.sleep(0.5)  # the import starts meanwhile
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            outcome["edit"] = exc
            saved.set()
        finally:
            connections.close_all()

    def import_a_new_number_for_default() -> None:
        try:
            saved.wait(10)
            outcome["changed"] = apply_ports_import(application=env.message, data=b"[default]\nport = 4030\n",
                                                    actor=operator, expected_version=opened)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            outcome["import"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=switch_on_mutual_tls), threading.Thread(target=import_a_new_number_for_default)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert "edit" not in outcome, outcome
    assert isinstance(outcome.get("import"), EditConflict), outcome
    # The banner would name the edit that came first.
    assert [e.object_repr for e in outcome["import"].events] == ["MessageServer:secure (4021)"]
    ports = {p.port_id: (p.number, p.mutual_tls) for p in Port.objects.filter(application=env.message)}
    assert ports == {"default": (4020, False), "secure": (4021, True)}
