"""Every setting, its default and what it does, generated from the settings classes: the table in
docs/operations.md and deploy/entryphone.env.example are this module's output
(`entryphone settings --format markdown|env`), and tests/test_settings_doc.py compares them, so the
documentation cannot drift from the code.

A setting gets its description from `Field(description=...)` or, failing that, from DESCRIPTIONS
below; a setting with neither fails the test."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic_settings import BaseSettings

from entryphone.config import Settings
from entryphone.pushes.settings import PushSettings

CLASSES: tuple[type[BaseSettings], ...] = (Settings, PushSettings)

# Keyed by the variable's name after ENTRYPHONE_.
# Defaults computed at start-up rather than written in the class.
COMPUTED = {
    "DATABASE_URL": "sqlite+aiosqlite:///DATA_DIR/entryphone.sqlite3",
    "SECRET_KEY": "development only: generated once into DATA_DIR/secret_key",
    "NODE_ID": "hostname:pid",
}

DESCRIPTIONS = {
    "ENVIRONMENT": "`development` or `production`; production refuses to start without SECRET_KEY.",
    "DATA_DIR": "Directory of the SQLite file, the development secret key and the demo's panels.",
    "DATABASE_URL": "`postgresql+asyncpg://user:password@host:5432/db` or `sqlite+aiosqlite:///path`"
    " (other drivers are refused).",
    "SECRET_KEY": "Encrypts device, SIP and ONVIF secrets at rest; the same on every node; keep it"
    " with the backups.",
    "SECRET_KEY_FALLBACKS": "Former secret keys, comma-separated: accepted to decrypt, never to encrypt"
    " (SECRET_KEY rotation).",
    "HOST": "Address `entryphone serve` listens on (`127.0.0.1` behind a local reverse proxy).",
    "PORT": "Port `entryphone serve` listens on.",
    "LOG_LEVEL": "`debug`, `info`, `warning` or `error`.",
    "DB_POOL_SIZE": "PostgreSQL connections kept per process.",
    "DB_MAX_OVERFLOW": "Extra PostgreSQL connections per process under bursts.",
    "MAX_SESSIONS_PER_USER": "Live tokens one resident may hold (client API login).",
    "LOGIN_MAX_FAILURES": "Failed resident logins before the login is locked.",
    "LOGIN_LOCKOUT_SECONDS": "How long a locked login stays locked.",
    "LOGIN_MAX_FAILURES_PER_ADDRESS": "Failed password logins from one client address, over any logins,"
    " within LOGIN_LOCKOUT_SECONDS; one more locks the address (429). Successes do not count.",
    "TRUSTED_PROXIES": "Comma-separated addresses or CIDR networks of your reverse proxies; only from"
    " them is the client address read from FORWARDED_HEADER. An invalid entry stops the start.",
    "FORWARDED_HEADER": "Header the trusted proxy writes the client address into (`X-Forwarded-For`,"
    " `X-Real-IP` or RFC 7239 `Forwarded`).",
    "VIDEO_STREAM_MAX_SECONDS": "Longest MJPEG stream (`/snapshot?fps=`) one request gets; it also ends"
    " when the client goes away.",
    "MAX_BODY_BYTES": "Larger request bodies are refused with 413 before parsing.",
    "REQUEST_READ_TIMEOUT": "Seconds a client has to send a whole request (headers and body);"
    " then the connection is closed.",
    "KEEP_ALIVE_TIMEOUT": "Seconds an idle keep-alive connection stays open.",
    "MAX_HEADER_BYTES": "Largest request head (request line and headers) the h11 parser accepts.",
    "GRACEFUL_SHUTDOWN_TIMEOUT": "On SIGTERM, seconds requests in flight (long-polls, WebSockets)"
    " get before they are cut.",
    "SUPERVISOR_ENABLED": "Run the fleet supervisor inside `entryphone serve`.",
    "NODE_ID": "This node's name in lease rows; unique per running supervisor.",
    "LEASE_SECONDS": "Lease lifetime without renewal: how soon a dead node's panels are taken over.",
    "EVENT_PULL_WAIT": "Long-poll wait per device pull; `60` for fleets of thousands.",
    "DEVICE_TIMEOUT": "Timeout of ordinary device calls (the long-poll adds its wait).",
    "RECONNECT_MAX_SECONDS": "Ceiling of the jittered back-off towards an unreachable panel.",
    "LAST_SEEN_SECONDS": "How often a node writes `last_seen_at` of the panels it hears from.",
    "COMMAND_TIMEOUT": "Human-waited device commands: open door, snapshot, onboarding probe.",
    "CONSOLE_IDLE_SECONDS": "An operator's console session ends after this many idle seconds.",
    "CONSOLE_SECURE_COOKIE": "Always mark the console's session cookie Secure (it already is when the"
    " request came over HTTPS, directly or through X-Forwarded-Proto).",
    "SIP_HOST": "Address Kamailio (`entryphone sip`) listens on, UDP and TCP.",
    "SIP_PORT": "Port Kamailio listens on.",
    "SIP_PUBLIC_HOST": "Address phones and panels are told to register to; empty: SIP_HOST.",
    "SIP_DOMAIN": "The SIP domain, also the Digest realm of every SIP account.",
    "SIP_RING_SECONDS": "Ring limit of a call when the intercom's sip_options set none.",
    "SIP_TALK_SECONDS": "Talk limit of an answered call when the intercom's sip_options set none.",
    "SIP_ACCOUNT_DAYS": "Lifetime of a phone's SIP account (GET /api/v1/sip-account renews it near the end).",
    "SIP_TRUNK": "SIP URI of the trunk landline calls leave through; empty: no landline calls.",
    "SIP_DB_URL": "Where Kamailio keeps registrations: empty = memory (one node); a PostgreSQL URL"
    " shares them between Kamailio nodes.",
    "SIP_CHILDREN": "Kamailio worker processes per transport.",
    "SIP_INTERNAL_SECRET": "Secret Kamailio presents to /internal/sip; default: derived from SECRET_KEY.",
    "PUSH_WEBHOOK_URL": "Where pushes for phones without a live WebSocket are POSTed; unset: not sent.",
    "PUSH_WEBHOOK_SECRET": "HMAC key of the `X-Entryphone-Signature: sha256=...` header of each push.",
    "PUSH_WEBHOOK_ATTEMPTS": "Delivery attempts per push.",
    "PUSH_WEBHOOK_BACKOFF_SECONDS": "First retry delay of a push (doubles per attempt, at most 60 s).",
    "PUSH_WEBHOOK_TIMEOUT_SECONDS": "Timeout of one push delivery.",
}


@dataclass(frozen=True)
class Setting:
    variable: str
    default: str  # as written in an environment file; "" for unset
    computed: str | None  # a default computed at start-up, described
    description: str


def settings() -> list[Setting]:
    found = []
    for cls in CLASSES:
        prefix = str(cls.model_config.get("env_prefix", ""))
        for name, field in cls.model_fields.items():
            variable = f"{prefix}{name}".upper()
            short = variable.removeprefix("ENTRYPHONE_")
            description = field.description or DESCRIPTIONS.get(short)
            if description is None:
                raise LookupError(f"{variable} has no description: add one to DESCRIPTIONS in {__name__}")
            found.append(Setting(variable, _env_value(field.default), COMPUTED.get(short), description))
    return found


def _env_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, SecretStr):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def markdown_table() -> str:
    lines = ["| setting | default | what it does |", "|---|---|---|"]
    for s in settings():
        default = f"`{s.default}`" if s.default else ("unset" if s.computed is None else "")
        if s.computed is not None:
            default = s.computed if not s.default else f"{default} ({s.computed})"
        description = s.description.replace("|", "\\|")
        lines.append(f"| `{s.variable}` | {default} | {description} |")
    return "\n".join(lines) + "\n"


def env_file() -> str:
    lines = [
        "# entryphone settings: every variable with its default (generated by",
        "# `entryphone settings --format env`; docs/operations.md explains them).",
        "# Lines left commented keep their default. Production needs at least ENVIRONMENT=production,",
        "# SECRET_KEY and DATABASE_URL. Keep this file readable by root and the service user only.",
        "",
    ]
    for s in settings():
        lines.append(f"# {s.description.replace('`', '')}")
        if s.computed is not None:
            lines.append(f"# Default: {s.computed}.")
        lines.append(f"#{s.variable}={s.default}")
        lines.append("")
    return "\n".join(lines)
