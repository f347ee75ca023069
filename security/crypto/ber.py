"""A small BER reader: enough to walk the outer structure of a PKCS#12 file before any key is derived.

PKCS#12 files are BER, not always DER: Java and some Windows and macOS exports use indefinite
lengths and constructed OCTET STRINGs, and OpenSSL reads them all, so this reader does too.

It reads only what it is asked for (an element's children, a string, an integer) and never descends
into anything else: a definite-length element is skipped by its length, so a certificate is never
read through. Each element is read once (children are remembered), nesting is limited to
``MAX_DEPTH`` and the number of elements read to ``max_elements``: its work is bounded whatever the
input. Every malformed input raises :class:`BerError`, nothing else.
"""

from __future__ import annotations

from .errors import CertificateError

MAX_DEPTH = 40
# A PKCS#12 file reads four elements per certificate it holds unencrypted (none for encrypted ones,
# which are skipped whole): this allows 12,000, and bounds the walk to a fraction of a second.
MAX_ELEMENTS = 50_000

UNIVERSAL, APPLICATION, CONTEXT, PRIVATE = 0, 1, 2, 3
INTEGER, OCTET_STRING, NULL, OID, SEQUENCE, SET = 2, 4, 5, 6, 16, 17


class BerError(CertificateError):
    """The bytes are not the BER structure the caller expected."""


class TooManyElements(BerError):
    """The structure has more elements than ``MAX_ELEMENTS``: not damaged, but too costly to walk."""


class Budget:
    """Elements left to read; shared by every read of one file, embedded structures included."""

    def __init__(self, max_elements: int = MAX_ELEMENTS) -> None:
        self.left = max_elements

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise TooManyElements(f"the structure has more than {MAX_ELEMENTS:,} parts")


class Element:
    """One TLV of ``data``: the content is ``data[start:end]``."""

    __slots__ = ("_budget", "_children", "constructed", "data", "depth", "end", "number", "start", "tag_class")

    def __init__(
        self, data: bytes, budget: Budget, tag_class: int, constructed: bool, number: int, depth: int
    ) -> None:
        self.data, self._budget, self.depth = data, budget, depth
        self.tag_class, self.constructed, self.number = tag_class, constructed, number
        self.start = self.end = 0
        self._children: list[Element] | None = None

    def is_(self, tag_class: int, number: int) -> bool:
        return self.tag_class == tag_class and self.number == number

    def children(self) -> list[Element]:
        if not self.constructed:
            raise BerError("expected a constructed element")
        if self._children is None:
            items, pos = [], self.start
            while pos < self.end:
                item, pos = _read(self.data, pos, self.end, self.depth + 1, self._budget)
                items.append(item)
            self._children = items
        return self._children

    def octets(self) -> bytes:
        """The content of an OCTET STRING (or an IMPLICIT one), joining the chunks of a constructed one."""
        if not self.constructed:
            return self.data[self.start : self.end]
        return b"".join(child.octets() for child in self.children())

    def embedded(self) -> Element:
        """The structure encoded inside this OCTET STRING, read on the same budget."""
        return read_one(self.octets(), budget=self._budget)

    def integer(self) -> int:
        """The INTEGER's value; callers bound ``integer_length()`` first where the value can be huge."""
        if self.constructed or self.end == self.start:
            raise BerError("expected an INTEGER")
        return int.from_bytes(self.data[self.start : self.end], "big", signed=True)

    def integer_length(self) -> int:
        return self.end - self.start

    def oid_bytes(self) -> bytes:
        """The OBJECT IDENTIFIER's content octets: compared as bytes, decoded only for messages."""
        if self.constructed or not self.is_(UNIVERSAL, OID):
            raise BerError("expected an OBJECT IDENTIFIER")
        return self.data[self.start : self.end]

    def oid(self) -> str:
        content = self.oid_bytes()
        if not content or len(content) > 64 or content[-1] & 0x80:
            raise BerError("an OBJECT IDENTIFIER is malformed")
        arcs, value = [], 0
        for byte in content:
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                arcs.append(value)
                value = 0
        top = min(arcs[0] // 40, 2)
        return ".".join(str(arc) for arc in [top, arcs[0] - 40 * top, *arcs[1:]])


def read_one(data: bytes, *, budget: Budget | None = None) -> Element:
    """The single element that is all of ``data`` (trailing bytes are an error)."""
    element, pos = _read(data, 0, len(data), 0, budget or Budget())
    if pos != len(data):
        raise BerError("unexpected bytes after the data")
    return element


def _read(data: bytes, pos: int, limit: int, depth: int, budget: Budget) -> tuple[Element, int]:
    """The element at ``pos``, which must end by ``limit``, and the position after it."""
    budget.spend()
    if depth > MAX_DEPTH:
        raise BerError("the data is nested too deeply")
    if pos + 2 > limit:
        raise BerError("the data is truncated")
    first = data[pos]
    pos += 1
    number = first & 0x1F
    if number == 0x1F:  # high tag number form: base-128 digits
        number = 0
        for _ in range(4):
            if pos >= limit:
                raise BerError("the data is truncated")
            byte = data[pos]
            pos += 1
            number = (number << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        else:
            raise BerError("a tag number is too large")
    element = Element(data, budget, first >> 6, bool(first & 0x20), number, depth)
    if pos >= limit:
        raise BerError("the data is truncated")
    length_byte = data[pos]
    pos += 1
    if length_byte == 0x80:
        if not element.constructed:
            raise BerError("a primitive element has an indefinite length")
        # The content runs to the end-of-contents marker (two zero bytes) at this level: the
        # children must be read to find it, and are kept so that they are read only once.
        element.start, children = pos, []
        while True:
            if pos + 2 > limit:
                raise BerError("the data is truncated: an end-of-contents marker is missing")
            if data[pos] == 0 and data[pos + 1] == 0:
                element.end, element._children = pos, children
                return element, pos + 2
            child, pos = _read(data, pos, limit, depth + 1, budget)
            children.append(child)
    if length_byte & 0x80:
        count = length_byte & 0x7F
        if count > 4 or pos + count > limit:
            raise BerError("a length is too large or truncated")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    else:
        length = length_byte
    element.start, element.end = pos, pos + length
    if element.end > limit:
        raise BerError("the data is truncated: an element is longer than what contains it")
    return element, element.end
