"""The audit chain under writers at once (PostgreSQL, real transactions in threads).

Every writer locks the chain's head last, just before inserting its events: saves of options, of a
port whose connection makes another application's checks requested, of hosts and of trusted stores
run together, none deadlocks, and the chain stays one line with no gap.
"""

import threading

import pytest
from django.db import connection, connections

from applications import services
from applications.audit_chain import GENESIS, verify
from applications.forms import HostForm, PortForm
from applications.models import AuditChainHead, AuditEvent, Host, Port
from applications.options import OptionChange, options_apply
from security.models import TrustedStore
from security.stores import store_save
from tests.conftest import require

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8
ROUNDS = 6


def test_parallel_saves_leave_one_linear_unbroken_chain(env):
    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    operator, officer = env.users["operator"], env.users["security"]
    before = AuditEvent.objects.count()
    start, errors = threading.Barrier(THREADS), []

    def options(worker: int, round_: int) -> None:
        app = (env.node_a, env.node_b, env.message, env.cluster)[(worker + round_) % 4]
        options_apply(application=app, actor=operator,
                      changes=[OptionChange("log", f"w{worker}", f"r{round_}"), OptionChange("x", "y", f"{worker}")])

    def port(worker: int, round_: int) -> None:
        # The Node's connection goes through this port: the save requests the Node's checks (a row lock).
        form = PortForm({"port_id": "secure", "number": 4021, "secured": True, "mutual_tls": round_ % 2 == 0},
                        instance=Port.objects.get(pk=env.secure.pk), application=env.message)
        assert form.is_valid(), form.errors
        services.save_object(form=form, actor=operator)

    def host(worker: int, round_: int) -> None:
        form = HostForm({"name": "core-01", "address": f"10.0.{worker}.{round_ + 1}", "os_type": "linux"},
                        instance=Host.objects.get(pk=env.linux.pk))
        assert form.is_valid(), form.errors
        services.save_object(form=form, actor=operator)

    def store(worker: int, round_: int) -> None:
        members = [env.root] if round_ % 2 else [env.root, env.intermediate]
        store_save(store=TrustedStore.objects.get(pk=env.pem.pk), certificates=members, password=None,
                   actor=officer)

    writers = (options, port, host, store)

    def work(worker: int) -> None:
        try:
            start.wait(10)
            for round_ in range(ROUNDS):
                writers[(worker + round_) % len(writers)](worker, round_)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)
    events = list(AuditEvent.objects.order_by("seq").values_list("id", "seq", "prev_hash", "chain_hash"))
    assert len(events) > before + THREADS * ROUNDS // 2
    assert [seq for _id, seq, _prev, _hash in events] == list(range(1, len(events) + 1))
    assert [prev for _id, _seq, prev, _hash in events] == [GENESIS] + [h for _i, _s, _p, h in events[:-1]]
    assert [pk for pk, *_rest in events] == sorted(pk for pk, *_rest in events), "ids follow the chain"
    assert AuditChainHead.objects.get(pk=1).seq == len(events)
    assert verify().intact
