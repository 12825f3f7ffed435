"""Console forms -> the admin API's request bodies. Input names are the API's dot paths
(`sip_credentials.port`, `matrix.0.items.1.2`), so the service's ValidationFailed errors land next to
the field that caused them. Values are passed on as typed as the form allows; the API's own schema
and the services judge them (a form never holds a rule of its own)."""

from __future__ import annotations

import re
from typing import Any

from entryphone.console.web import Form

_INTEGER = re.compile(r"^-?\d{1,15}$")
MAX_DTMF = 16


def number(value: str | None, blank: Any = None) -> Any:
    """A form's text as an integer when it is one; other text is passed on for the schema to refuse."""
    if value is None:
        return blank
    value = value.strip()
    if value == "":
        return blank
    return int(value) if _INTEGER.match(value) else value


def text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def checked(form: Form, name: str) -> bool:
    return form.get(name) in {"1", "on", "true"}


def _same(current: Any, sent: Any) -> bool:
    return current == sent or (current in (None, "") and sent in (None, ""))


def settings_body(form: Form, current: dict[str, Any]) -> dict[str, Any]:
    """The PATCH body of the settings form: only what the operator changed."""
    body: dict[str, Any] = {}
    for name in ("title", "address", "connection_type"):
        if name in form and not _same(current.get(name), text(form[name])):
            body[name] = text(form[name])
    for name in ("group_id", "camera_id", "flat_from", "flat_to", "flat_offset", "door_open_time_general"):
        if name in form and not _same(current.get(name), number(form[name])):
            body[name] = number(form[name])
    if body.get("title", "") is None:
        body["title"] = ""  # the schema says what an empty title means

    options = current.get("sip_options") or {}
    sent_options: dict[str, Any] = {}
    for name in ("talk_duration", "ring_duration"):
        field = f"sip_options.{name}"
        if field in form and not _same(options.get(name), number(form[field])):
            sent_options[name] = number(form[field])
    dtmf = dtmf_rows(form)
    if dtmf is not None and dtmf != [
        {"id": row["id"], "value": row["value"]} for row in options.get("dtmf", [])
    ]:
        sent_options["dtmf"] = dtmf
    if sent_options:
        body["sip_options"] = sent_options

    credentials = current.get("sip_credentials") or {}
    sent_credentials = {
        "server": text(form.get("sip_credentials.server")),
        "port": number(form.get("sip_credentials.port")),
        "login": text(form.get("sip_credentials.login")),
        "password": form.get("sip_credentials.password") or None,
    }
    changed = any(
        not _same(credentials.get(name), sent_credentials[name]) for name in ("server", "port", "login")
    )
    if "sip_credentials.server" in form and (changed or sent_credentials["password"]):
        # Sent whole, as the API wants it; a missing password is reported on its field.
        body["sip_credentials"] = sent_credentials
    return body


def dtmf_rows(form: Form) -> list[dict[str, Any]] | None:
    if "sip_options.dtmf.present" not in form:
        return None
    rows: list[dict[str, Any]] = []
    for index in range(MAX_DTMF + 1):
        relay = form.get(f"sip_options.dtmf.{index}.id")
        value = form.get(f"sip_options.dtmf.{index}.value")
        if relay is None and value is None:
            continue
        if (value or "").strip() == "":
            continue
        rows.append({"id": number(relay), "value": (value or "").strip()})
    return rows


def matrix_body(form: Form) -> dict[str, Any]:
    """The PATCH body of the matrix form: the switch, the count and every element with its grid."""
    body: dict[str, Any] = {
        "switch": text(form.get("switch")),
        "is_crossbar_switchers_enabled": checked(form, "is_crossbar_switchers_enabled"),
    }
    elements: list[dict[str, Any]] = []
    for index in range(8):
        prefix = f"matrix.{index}."
        if prefix + "id" not in form:
            continue
        element: dict[str, Any] = {
            "id": number(form[prefix + "id"]),
            "capacity": number(form.get(prefix + "capacity")),
            "flat_from": number(form.get(prefix + "flat_from")),
            "auto": checked(form, prefix + "auto"),
            "is_last_item_first": checked(form, prefix + "is_last_item_first"),
            "items": _grid(form, prefix + "items."),
        }
        elements.append(element)
    body["commutators_count"] = len(elements)
    body["matrix"] = elements
    return body


def _grid(form: Form, prefix: str) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for row in range(32):
        if f"{prefix}{row}.0" not in form:
            break
        cells: list[Any] = []
        for col in range(32):
            name = f"{prefix}{row}.{col}"
            if name not in form:
                break
            cells.append(number(form[name], blank=0))
        rows.append(cells)
    return rows
