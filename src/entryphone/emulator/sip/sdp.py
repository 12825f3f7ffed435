"""The panel's SDP (RFC 4566 / 3264): one audio stream, PCMU plus telephone-event (RFC 4733)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Final

PCMU: Final = 0
TELEPHONE_EVENT: Final = 101


def offer(host: str, port: int, session_id: int | None = None) -> bytes:
    session = session_id if session_id is not None else secrets.randbelow(2**31)
    family = "IP6" if ":" in host else "IP4"
    lines = [
        "v=0",
        f"o=- {session} {session} IN {family} {host}",
        "s=2N Helios IP",
        f"c=IN {family} {host}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {PCMU} {TELEPHONE_EVENT}",
        f"a=rtpmap:{PCMU} PCMU/8000",
        f"a=rtpmap:{TELEPHONE_EVENT} telephone-event/8000",
        f"a=fmtp:{TELEPHONE_EVENT} 0-15",
        "a=ptime:20",
        "a=sendrecv",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


@dataclass(slots=True, frozen=True)
class Answer:
    host: str
    port: int
    telephone_event: int | None  # the payload type the peer uses for RFC 4733 events


def parse_answer(body: bytes) -> Answer | None:
    """The remote audio address and event payload type; None if the answer has no usable audio."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    session_host = ""
    media_host = ""
    port: int | None = None
    formats: list[str] = []
    event: int | None = None
    in_audio = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("c=") and len(parts := line[2:].split()) == 3:
            if in_audio:
                media_host = parts[2]
            elif port is None:
                session_host = parts[2]
        elif line.startswith("m="):
            parts = line[2:].split()
            in_audio = parts[0] == "audio" and port is None and len(parts) >= 4 and parts[1].isdigit()
            if in_audio:
                port, formats = int(parts[1]), parts[3:]
        elif in_audio and line.lower().startswith("a=rtpmap:"):
            payload, _, encoding = line[9:].partition(" ")
            if encoding.lower().startswith("telephone-event/8000") and payload.isdigit():
                event = int(payload)
    host = media_host or session_host
    if port is None or not host or (str(PCMU) not in formats and port != 0):
        return None
    return Answer(host, port, event if event is not None and str(event) in formats else None)
