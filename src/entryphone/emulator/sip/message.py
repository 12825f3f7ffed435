"""SIP messages (RFC 3261 section 7): parsing what arrives, building what the panel sends.

Strict where it matters to a user agent (start line, Via, CSeq, Call-ID, From/To tags,
Content-Length); a datagram that does not parse is dropped, as a real UA does.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Final

COMPACT: Final = {
    "v": "via",
    "f": "from",
    "t": "to",
    "i": "call-id",
    "m": "contact",
    "l": "content-length",
    "c": "content-type",
    "k": "supported",
    "s": "subject",
    "e": "content-encoding",
}
# Canonical spelling of the headers the panel writes.
CANONICAL: Final = {
    "via": "Via",
    "from": "From",
    "to": "To",
    "call-id": "Call-ID",
    "cseq": "CSeq",
    "contact": "Contact",
    "max-forwards": "Max-Forwards",
    "route": "Route",
    "record-route": "Record-Route",
    "content-type": "Content-Type",
    "content-length": "Content-Length",
    "www-authenticate": "WWW-Authenticate",
    "proxy-authenticate": "Proxy-Authenticate",
    "authorization": "Authorization",
    "proxy-authorization": "Proxy-Authorization",
    "user-agent": "User-Agent",
    "expires": "Expires",
    "allow": "Allow",
}
REASONS: Final = {
    100: "Trying",
    180: "Ringing",
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    415: "Unsupported Media Type",
    481: "Call/Transaction Does Not Exist",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    500: "Server Internal Error",
    603: "Decline",
}
MAGIC_COOKIE: Final = "z9hG4bK"
_START_REQUEST = re.compile(r"^([A-Z]+) (\S+) SIP/2\.0$")
_START_RESPONSE = re.compile(r"^SIP/2\.0 ([1-6][0-9][0-9]) ?(.*)$")
_PARAM = re.compile(r';\s*([^;=\s]+)(?:\s*=\s*("(?:[^"\\]|\\.)*"|[^;,\s]*))?')
_ADDRESS = re.compile(r'^\s*(?:"((?:[^"\\]|\\.)*)"\s*|([^<"]*?)\s*)?<([^>]*)>(.*)$')


class ParseError(ValueError):
    pass


def new_tag() -> str:
    return secrets.token_hex(6)


def new_branch() -> str:
    return MAGIC_COOKIE + secrets.token_hex(8)


def new_call_id(host: str) -> str:
    return f"{secrets.token_hex(12)}@{host}"


@dataclass(slots=True)
class Address:
    """A name-addr or addr-spec with its header parameters (From, To, Contact, Route...)."""

    uri: str
    display: str = ""
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Address:
        match = _ADDRESS.match(text)
        if match:
            display = match.group(1) if match.group(1) is not None else (match.group(2) or "")
            return cls(match.group(3).strip(), display.strip(), _params(match.group(4)))
        uri, _, rest = text.strip().partition(";")
        if not uri:
            raise ParseError("empty address")
        return cls(uri, "", _params(";" + rest) if rest else {})

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")

    def __str__(self) -> str:
        display = f'"{self.display}" ' if self.display else ""
        params = "".join(f";{k}={v}" if v else f";{k}" for k, v in self.params.items())
        return f"{display}<{self.uri}>{params}"


@dataclass(slots=True, frozen=True)
class Uri:
    scheme: str
    user: str
    host: str
    port: int | None
    params: dict[str, str]

    @classmethod
    def parse(cls, text: str) -> Uri:
        scheme, sep, rest = text.partition(":")
        if not sep or scheme.lower() not in ("sip", "sips"):
            raise ParseError(f"not a SIP URI: {text!r}")
        rest, _, _headers = rest.partition("?")
        hostport, *param_parts = rest.split(";")
        user, at, hostport_only = hostport.rpartition("@")
        if not at:
            user, hostport_only = "", hostport
        user = user.partition(":")[0]  # never keep a password from a URI
        host, port = split_hostport(hostport_only)
        params = {}
        for part in param_parts:
            name, _, value = part.partition("=")
            params[name.lower()] = value
        return cls(scheme.lower(), user, host, port, params)


def split_hostport(text: str) -> tuple[str, int | None]:
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":")
    else:
        host, _, port_text = text.partition(":")
    if not host:
        raise ParseError("empty host")
    if not port_text:
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ParseError(f"bad port {port_text!r}")
    return host, int(port_text)


def _params(text: str) -> dict[str, str]:
    return {m.group(1).lower(): (m.group(2) or "") for m in _PARAM.finditer(text)}


def split_commas(value: str) -> list[str]:
    """Split a header value at commas outside quotes and angle brackets."""
    parts, depth, quoted, start = [], 0, False, 0
    for index, char in enumerate(value):
        if char == '"' and (index == 0 or value[index - 1] != "\\"):
            quoted = not quoted
        elif not quoted and char == "<":
            depth += 1
        elif not quoted and char == ">":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            parts.append(value[start:index].strip())
            start = index + 1
    parts.append(value[start:].strip())
    return [p for p in parts if p]


@dataclass(slots=True)
class Via:
    transport: str
    host: str
    port: int | None
    params: dict[str, str]

    @classmethod
    def parse(cls, text: str) -> Via:
        match = re.match(r"^\s*SIP\s*/\s*2\.0\s*/\s*([A-Za-z]+)\s+([^;\s]+)(.*)$", text)
        if not match:
            raise ParseError(f"bad Via {text!r}")
        host, port = split_hostport(match.group(2))
        return cls(match.group(1).upper(), host, port, _params(match.group(3)))

    @property
    def branch(self) -> str:
        return self.params.get("branch", "")


class Message:
    """Headers keep their order; names are looked up case-insensitively and in compact form."""

    __slots__ = ("body", "headers")

    def __init__(self, headers: list[tuple[str, str]] | None = None, body: bytes = b"") -> None:
        self.headers: list[tuple[str, str]] = headers or []
        self.body = body

    def get(self, name: str) -> str | None:
        key = name.lower()
        for header, value in self.headers:
            if header == key:
                return value
        return None

    def get_all(self, name: str) -> list[str]:
        """Every value of a header, with comma-separated lists split (Via, Route, Record-Route)."""
        key = name.lower()
        values: list[str] = []
        for header, value in self.headers:
            if header == key:
                values.extend(split_commas(value))
        return values

    def lines(self, name: str) -> list[str]:
        """Every value of a header as it came, one per header line (WWW-Authenticate...)."""
        key = name.lower()
        return [value for header, value in self.headers if header == key]

    def add(self, name: str, value: str) -> None:
        self.headers.append((name.lower(), value))

    def set(self, name: str, value: str) -> None:
        self.remove(name)
        self.add(name, value)

    def remove(self, name: str) -> None:
        key = name.lower()
        self.headers = [(h, v) for h, v in self.headers if h != key]

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise ParseError(f"missing {name}")
        return value

    @property
    def call_id(self) -> str:
        return self.require("call-id")

    @property
    def cseq(self) -> tuple[int, str]:
        number, _, method = self.require("cseq").strip().partition(" ")
        if not number.isdigit() or not method.strip():
            raise ParseError("bad CSeq")
        return int(number), method.strip().upper()

    @property
    def from_(self) -> Address:
        return Address.parse(self.require("from"))

    @property
    def to(self) -> Address:
        return Address.parse(self.require("to"))

    @property
    def top_via(self) -> Via:
        vias = self.get_all("via")
        if not vias:
            raise ParseError("missing Via")
        return Via.parse(vias[0])

    def _encode_headers(self) -> str:
        lines = [f"{CANONICAL.get(h, h.title())}: {v}" for h, v in self.headers if h != "content-length"]
        lines.append(f"Content-Length: {len(self.body)}")
        return "\r\n".join(lines)


class Request(Message):
    __slots__ = ("method", "uri")

    def __init__(
        self, method: str, uri: str, headers: list[tuple[str, str]] | None = None, body: bytes = b""
    ) -> None:
        super().__init__(headers, body)
        self.method = method
        self.uri = uri

    def encode(self) -> bytes:
        return f"{self.method} {self.uri} SIP/2.0\r\n{self._encode_headers()}\r\n\r\n".encode() + self.body


class Response(Message):
    __slots__ = ("reason", "status")

    def __init__(
        self, status: int, reason: str = "", headers: list[tuple[str, str]] | None = None, body: bytes = b""
    ) -> None:
        super().__init__(headers, body)
        self.status = status
        self.reason = reason or REASONS.get(status, "")

    def encode(self) -> bytes:
        return f"SIP/2.0 {self.status} {self.reason}\r\n{self._encode_headers()}\r\n\r\n".encode() + self.body


def parse(data: bytes) -> Request | Response:
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        head, separator, body = data.partition(b"\n\n")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError("not UTF-8") from None
    lines = text.replace("\r\n", "\n").split("\n")
    start = lines[0].strip()
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:  # folded continuation line
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise ParseError(f"bad header line {line!r}")
        key = name.strip().lower()
        headers.append((COMPACT.get(key, key), value.strip()))
    message: Request | Response
    if match := _START_REQUEST.match(start):
        message = Request(match.group(1), match.group(2), headers)
    elif match := _START_RESPONSE.match(start):
        message = Response(int(match.group(1)), match.group(2), headers)
    else:
        raise ParseError(f"bad start line {start!r}")
    length = message.get("content-length")
    if length is not None:
        if not length.isdigit() or int(length) > len(body):
            raise ParseError("bad Content-Length")
        body = body[: int(length)]
    message.body = body
    for required in ("via", "call-id", "cseq", "from", "to"):
        message.require(required)
    message.cseq  # noqa: B018 - validates it
    message.top_via  # noqa: B018
    return message


def response_to(request: Request, status: int, reason: str = "", to_tag: str | None = None) -> Response:
    """A response copying Via, From, To, Call-ID and CSeq (RFC 3261 8.2.6.2)."""
    response = Response(status, reason)
    for name in ("via", "record-route"):
        for header, value in request.headers:
            if header == name:
                response.headers.append((header, value))
    to = request.require("to")
    if to_tag is not None and Address.parse(to).tag is None:
        to = f"{to};tag={to_tag}"
    response.add("from", request.require("from"))
    response.add("to", to)
    response.add("call-id", request.call_id)
    response.add("cseq", request.require("cseq"))
    if status < 300 and request.method != "INVITE":
        response.remove("record-route")
    return response
