"""TLS servers on 127.0.0.1 for the probe tests, presenting the generated test certificates."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.checks.world import World


@contextmanager
def tls_server(chain: Path, key: Path) -> Iterator[int]:
    """A TLS server answering one connection at a time; yields its port."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)  # how fast the server notices the test is over
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(5)
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.sendall(b"hello\n")
            except (ssl.SSLError, OSError):
                pass  # the probe refused the certificate: the point of most tests

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


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
