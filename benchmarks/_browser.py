"""A small HTTP client that uses the console's pages as a browser does (standard library only).

It keeps its session cookie, reads a page's POST form with every field a browser would send (hidden
ones, the selected option of each select, checked boxes, text areas; disabled fields are not sent)
and posts it back. The benchmarks' concurrent editors and the race tests over a real server use it.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode

STALE_MARK = 'id="stale-edit"'


@dataclass
class Form:
    method: str
    action: str | None
    fields: list[list[str]] = field(default_factory=list)

    def names(self) -> set[str]:
        return {name for name, _value in self.fields}

    def value(self, name: str) -> str | None:
        return next((value for key, value in self.fields if key == name), None)

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.fields if key == name]

    def set(self, name: str, *values: str) -> Form:
        """Replace every value of ``name`` (no value: the field is not sent, as an unticked box)."""
        self.fields = [pair for pair in self.fields if pair[0] != name] + [[name, v] for v in values]
        return self


class PageForms(HTMLParser):
    """The forms of a page, in order, and whether it shows the conflict banner."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.stale = False
        self._form: Form | None = None
        self._select: list | None = None  # [name, chosen value, first value]
        self._option: list | None = None  # [value or None, selected, text parts]
        self._textarea: list | None = None  # [name, text parts]

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id") == "stale-edit":
            self.stale = True
        if tag == "form":
            self._form = Form((a.get("method") or "get").lower(), a.get("action"))
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._form.fields.append([name, a.get("value") or ("on" if kind in ("checkbox", "radio") else "")])
        elif tag == "select" and name:
            self._select = None if "disabled" in a else [name, None, None]
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "selected" in a, []]
        elif tag == "textarea" and name and "disabled" not in a:
            self._textarea = [name, []]

    def handle_data(self, data):
        if self._option is not None:
            self._option[2].append(data)
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "option" and self._option is not None and self._select is not None:
            value, selected, text = self._option
            value = value if value is not None else "".join(text).strip()
            if self._select[2] is None:
                self._select[2] = value
            if selected and self._select[1] is None:
                self._select[1] = value
            self._option = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, chosen, first = self._select
            if chosen is not None or first is not None:
                self._form.fields.append([name, chosen if chosen is not None else first])
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            name, text = self._textarea
            self._form.fields.append([name, "".join(text).removeprefix("\n")])
            self._textarea = None


def page_forms(html: str) -> PageForms:
    parser = PageForms()
    parser.feed(html)
    return parser


@dataclass
class Answer:
    status: int
    location: str
    text: str

    @property
    def stale(self) -> bool:
        """The page is the conflict banner (someone else saved since the form was opened)."""
        return self.status == 200 and STALE_MARK in self.text


class Browser:
    """One session: its cookies and a keep-alive connection, reopened when the server closes it."""

    def __init__(self, port: int, *, timeout: float = 60):
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(self, method: str, path: str, body: dict | list | None = None) -> Answer:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            pairs = body.items() if isinstance(body, dict) else body
            data = urlencode([tuple(pair) for pair in pairs])
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # gunicorn's sync workers close the connection after each response: open a new one.
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                if attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return Answer(response.status, response.getheader("Location", ""), text)

    def form(self, path: str, *, containing: str | None = None, action: str | None = None) -> tuple[Answer, Form]:
        """GET ``path`` and its POST form: the one with a field ``containing``, or the one posting to
        ``action`` (None: to the page itself)."""
        answer = self.request("GET", path)
        for form in page_forms(answer.text).forms:
            if form.method != "post":
                continue
            if (containing is not None and containing in form.names()) or (
                    containing is None and form.action == action):
                return answer, form
        raise LookupError(f"no such POST form on {path} ({answer.status})")

    def post(self, path: str, form: Form, *extra: tuple[str, str]) -> Answer:
        return self.request("POST", path, form.fields + [list(pair) for pair in extra])

    def login(self, username: str, password: str) -> None:
        _answer, form = self.form("/accounts/login/", action="/accounts/login/")
        form.set("username", username).set("password", password)
        answer = self.post("/accounts/login/", form)
        if answer.status != 302:
            raise RuntimeError(f"login of {username} failed ({answer.status})")
