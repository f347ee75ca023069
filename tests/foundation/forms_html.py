"""Read a form out of a rendered page the way a browser would submit it.

Tests that POST a formset must send what the page offered (management form, hidden fields,
selected options), not a hand-built dict that could hide a template bug.
"""

from html.parser import HTMLParser


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._option_value: str | None = None
        self._option_selected = False
        self._in_option = False
        self._option_text: list[str] = []
        self._textarea: str | None = None
        self._textarea_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action", ""), "method": (a.get("method") or "get").lower(), "fields": []}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form["fields"].append((name, a.get("value", "on")))
                return
            if "disabled" in a:
                return
            self._form["fields"].append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select = None if "disabled" in a else name
            self._select_first, self._select_chosen = None, False
        elif tag == "option" and self._select:
            self._option_value = a.get("value")
            self._option_text = []
            self._option_selected = "selected" in a
            self._in_option = True
        elif tag == "textarea" and name:
            self._textarea, self._textarea_text = name, []

    def handle_data(self, data):
        if self._in_option:
            self._option_text.append(data)
        if self._textarea:
            self._textarea_text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "option" and self._select:
            value = self._option_value if self._option_value is not None else "".join(self._option_text).strip()
            if self._select_first is None:
                self._select_first = value
            if self._option_selected and not self._select_chosen:
                self._form["fields"].append((self._select, value))
                self._select_chosen = True
            self._option_value, self._in_option = None, False
        elif tag == "select" and self._select:
            if not self._select_chosen and self._select_first is not None:
                self._form["fields"].append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea" and self._textarea:
            self._form["fields"].append((self._textarea, "".join(self._textarea_text).lstrip("\n")))
            self._textarea = None


def page_forms(html: str) -> list[dict]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def post_form_data(response, *, containing: str = "csrfmiddlewaretoken") -> dict[str, str]:
    """The fields of the first POST form of the page that has a field named ``containing``."""
    html = response.content.decode()
    for form in page_forms(html):
        names = [name for name, _ in form["fields"]]
        if form["method"] == "post" and any(containing in n for n in names):
            return dict(form["fields"])
    raise AssertionError(f"No POST form with a field {containing!r} on the page.")


def formset_rows(data: dict[str, str], prefix: str = "form") -> list[dict[str, str]]:
    """The formset's rows as dicts of field → value (without the prefix), in order."""
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    rows = []
    for i in range(total):
        start = f"{prefix}-{i}-"
        rows.append({k[len(start):]: v for k, v in data.items() if k.startswith(start)})
    return rows


def row_index(data: dict[str, str], section: str, name: str, prefix: str = "form") -> int:
    for i, row in enumerate(formset_rows(data, prefix)):
        if row.get("section") == section and row.get("name") == name:
            return i
    raise AssertionError(f"No editor row for [{section}] {name}.")


def blank_row_index(data: dict[str, str], prefix: str = "form") -> int:
    for i, row in enumerate(formset_rows(data, prefix)):
        if not row.get("section") and not row.get("name"):
            return i
    raise AssertionError("No blank row to add an option in.")
