"""The examples of the four platform spec pages, read from verbatim copies in tests/spec/pages/ (the
test does not depend on ../shared at run time): the JSON blocks of each page in order, and the body,
method and path of each cURL example."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

PAGES = Path(__file__).parent / "pages"
ADMIN_UPDATE = "admin-intercom-update"
ADMIN_FLAT = "admin-intercom-flat"
BILLING_UPDATE = "billing-intercom-update"
RESIDENT_UPDATE = "resident-intercom-update"
ALL = (ADMIN_UPDATE, ADMIN_FLAT, BILLING_UPDATE, RESIDENT_UPDATE)


@dataclass(frozen=True)
class Curl:
    method: str
    path: str  # with the page's placeholders, e.g. /api/admin/v1/intercoms/{intercom}
    headers: dict[str, str]
    body: str  # exactly as written between the quotes


def text(page: str) -> str:
    return (PAGES / f"{page}.txt").read_text()


@cache
def json_blocks(page: str) -> tuple[Any, ...]:
    """Every JSON value that starts a line of the page (the request body, the replies), in order."""
    source = text(page)
    decoder = json.JSONDecoder()
    found = []
    for match in re.finditer(r"^[\[{]", source, re.MULTILINE):
        try:
            value, _ = decoder.raw_decode(source, match.start())
        except ValueError:
            continue
        found.append(value)
    return tuple(found)


def block_after(page: str, heading: str) -> Any:
    """The first JSON block after a line that is exactly `heading` (e.g. "Body", "200")."""
    source = text(page)
    at = re.search(rf"^{re.escape(heading)}$", source, re.MULTILINE)
    assert at is not None, f"{heading!r} not in {page}"
    brace = re.compile(r"^[\[{]", re.MULTILINE).search(source, at.end())
    assert brace is not None
    value, _ = json.JSONDecoder().raw_decode(source, brace.start())
    return value


def curls(page: str) -> list[Curl]:
    source = text(page)
    found = []
    for match in re.finditer(r"curl (.*?)(?=\nPHP|\nJavaScript|\Z)", source, re.DOTALL):
        command = match.group(1)
        method = re.search(r"--request\s+(\w+)", command)
        url = re.search(r"(?:--url\s+|--location\s+--request\s+\w+\s+)'https://[^/]+(/[^']*)'", command)
        body = re.search(r"--data(?:-raw)?\s+'(.*?)'\s*$", command, re.DOTALL)
        headers = dict(
            (name.strip(), value.strip())
            for name, value in re.findall(r"--header\s+'([^:']+):\s*([^'\n]*)", command)
        )
        assert method and url and body, f"unreadable cURL example in {page}"
        found.append(Curl(method=method.group(1), path=url.group(1), headers=headers, body=body.group(1)))
    return found
