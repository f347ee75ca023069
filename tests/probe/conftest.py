"""TLS servers on 127.0.0.1 for the probe tests, presenting the generated test certificates."""

from __future__ import annotations

import socket
import ssl
import threading

import pytest

from tests.certs.tls_server import tls_server
from tests.checks.world import World

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


class Counted:
    """A listener on 127.0.0.1 that counts the TCP connections it accepts (one per handshake)."""

    def __init__(self, context=None):
        self.context = context
        self.accepted = 0
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.held = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            if self.context is None:
                self.held.append(conn)  # silent: accepts, never says a word of TLS
                continue
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn) -> None:
        conn.settimeout(5)
        try:
            with self.context.wrap_socket(conn, server_side=True) as tls:
                tls.sendall(b"hello\n")
        except (ssl.SSLError, OSError):
            pass

    def __enter__(self) -> Counted:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.listener.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def counted(cert_files):
    """``with counted("trusted") as server:`` a TLS server counting handshakes; ``counted(None)``: a
    silent one; ``counted("trusted", mutual=True, tls12=...)``: one that requires a client certificate."""

    def start(kind: str | None, *, mutual: bool = False, tls12: bool = False) -> Counted:
        if kind is None:
            return Counted()
        chain, key = SERVERS[kind]
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_files[chain], cert_files[key])
        if mutual:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cert_files["ca.pem"])
        if tls12:
            context.maximum_version = ssl.TLSVersion.TLSv1_2
        return Counted(context)

    return start
