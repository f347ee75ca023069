"""Real pieces for the notification tests: certificates with chosen dates, an SMTP server (aiosmtpd) and
an HTTP receiver for webhooks, both on 127.0.0.1 at a free port."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
import time
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from security.certificates import import_certificates
from security.models import Certificate
from tests.certs.make_certs import Issued, _issue, _rsa

_KEYS: list = []


def key():
    if not _KEYS:
        _KEYS.append(_rsa())
    return _KEYS[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def issue(cn: str, not_after: dt.datetime, *, issuer: Issued | None = None, serial: int = 1,
          ca: bool = True) -> Issued:
    return _issue(cn, key(), serial=serial, not_before=utc(2020, 1, 1), not_after=not_after, issuer=issuer, ca=ca)


def library(*issued: Issued) -> list[Certificate]:
    """Import into the library through the service the upload page uses."""
    result = import_certificates(items=[(i.der, "der", f"{i.cert.serial_number}.crt") for i in issued],
                                 actor="tests")
    by_fp = {c.fingerprint_sha256: c for c in result.created + result.already_present}
    return [by_fp[hashlib.sha256(i.der).hexdigest()] for i in issued]


class Mailbox:
    """aiosmtpd's handler: keeps every message received."""

    def __init__(self):
        self.messages: list = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        with self.lock:
            self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def subjects(self) -> list[str]:
        with self.lock:
            return [str(m["Subject"]) for _, m in self.messages]


class SmtpServer:
    def __init__(self):
        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()


class Receiver:
    """A webhook receiver: records each request (body, headers, whether its signature is right) and
    answers with the next status of ``statuses`` (200 when they run out). ``hold``: an Event the
    handler waits for before answering (a worker killed while it waits never hears the answer)."""

    def __init__(self, secret: str):
        self.secret = secret
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.hold: threading.Event | None = None
        self.received = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                expected = hmac.new(receiver.secret.encode(), body, hashlib.sha256).hexdigest()
                receiver.requests.append({
                    "body": json.loads(body), "raw": body, "headers": dict(self.headers), "at": time.monotonic(),
                    "signed": hmac.compare_digest(expected, self.headers.get("X-Signature", ""))})
                receiver.received.set()
                if receiver.hold is not None:
                    receiver.hold.wait(60)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self):
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()

    def subjects(self) -> list[str]:
        return [r["body"]["subject"] for r in self.requests]
