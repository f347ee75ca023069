"""TLS servers on 127.0.0.1 for the probe tests, presenting the generated test certificates."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.certs.tls_server import tls_server
from tests.checks.world import World


@contextmanager
def silent_server() -> Iterator[int]:
    """A port whose kernel accepts the TCP connection but that never says a word of TLS."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=8)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVERS = {
    "trusted": ("server-chain.pem", "server.key.pem"),
    "untrusted": ("server-other.pem", "server-other.key.pem"),
    "expired": ("expired-server.pem", "expired-server.key.pem"),
    "wronghost": ("wronghost-server.pem", "wronghost-server.key.pem"),
}


@pytest.fixture
def serve(cert_files):
    """``with serve("trusted") as port:`` a server presenting that fixture certificate."""

    def start(kind: str):
        chain, key = SERVERS[kind]
        return tls_server(cert_files[chain], cert_files[key])

    return start


@pytest.fixture
def probe_world(db, cert_files):
    """A Cluster whose Node trusts the test root CA, and a Message Server on 127.0.0.1."""
    w = World(cert_files)
    w.core.address = "127.0.0.1"
    w.core.save()
    store = w.store("Genesys CA", certs=("ca.pem",))
    w.security(w.node1, store=store)
    w.security(w.node2, store=store)
    return w
