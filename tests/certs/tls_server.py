"""A small TLS server on 127.0.0.1 for tests: the handshake and probe tests both need one."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def tls_server(chain: Path, key: Path, *, server_names: list | None = None) -> Iterator[int]:
    """A TLS server answering one connection at a time with ``hello``; yields its port. Given a list as
    ``server_names``, it appends the server name (SNI) each client sent."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain, key)
    if server_names is not None:
        context.sni_callback = lambda tls, name, ctx: server_names.append(name)
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
                pass  # the client refused the certificate: the point of many tests

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
    """A port whose kernel accepts the TCP connection (its backlog) but that never says a word of TLS."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=8)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
