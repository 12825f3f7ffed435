"""Logging that never writes a credential: every handler the product installs passes records through
`RedactCredentials`, which blanks query credentials (`?token=`, `access_token=`, `password=`, ...),
URL user-info (`rtsp://user:pass@host`), `Bearer ...` values and anything shaped like one of our
tokens, in the message, its arguments (uvicorn's access log passes the URL as an argument) and the
formatted traceback. `entryphone serve`, `demo` and `supervisor` log through `log_config()`."""

from __future__ import annotations

import copy
import logging
import logging.config
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"

# A query parameter whose name says it carries a credential: any name containing one of these words.
_CREDENTIAL_WORDS = (
    r"token|passw(?:or)?d|pass|pwd|secret|api[_-]?key|apikey|auth|signature|sig|credential|session|jwt|"
    r"sip_password|bearer"
)
_QUERY = re.compile(
    rf"(?P<name>(?:^|[?&;\s\"'])[\w.%\[\]-]*(?:{_CREDENTIAL_WORDS})[\w.%\[\]-]*=)(?P<value>[^&;\s\"'#]*)",
    re.IGNORECASE,
)
# The same names as JSON or repr'd fields: {"token": "..."} (a WebSocket first message in a debug log).
_FIELD = re.compile(
    rf"(?P<name>[\"'][\w.-]*(?:{_CREDENTIAL_WORDS})[\w.-]*[\"']\s*:\s*[\"'])(?P<value>[^\"'\\]*)",
    re.IGNORECASE,
)
_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<userinfo>[^/@\s\"']+)@", re.IGNORECASE)
_BEARER = re.compile(r"(?P<scheme>\bBearer(?:\s+|\.))(?P<value>[^\s\"',]+)", re.IGNORECASE)
# Our bearer tokens (security/tokens.py): "ep_" and 43 URL-safe characters, wherever they appear.
_OUR_TOKEN = re.compile(r"\bep_[A-Za-z0-9_-]{16,}")


def redact(text: str) -> str:
    """`text` with every credential it carries replaced by [redacted]."""
    text = _QUERY.sub(lambda m: m.group("name") + (REDACTED if m.group("value") else ""), text)
    text = _FIELD.sub(lambda m: m.group("name") + (REDACTED if m.group("value") else ""), text)
    text = _USERINFO.sub(lambda m: m.group("scheme") + REDACTED + "@", text)
    text = _BEARER.sub(lambda m: m.group("scheme") + REDACTED, text)
    return _OUR_TOKEN.sub(REDACTED, text)


def _redact_value(value: object) -> object:
    if value is None or isinstance(value, (int, float)):
        return value  # numbers keep their %d / %.3f formatting
    # Anything else (websockets passes frames and headers objects) is logged through its text.
    return redact(value if isinstance(value, str) else str(value))


class RedactCredentials(logging.Filter):
    """Rewrites the record in place (message, arguments, traceback), so every handler after it and
    every formatter (uvicorn's access formatter unpacks the arguments) sees the redacted text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_value(value) for value in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {key: _redact_value(value) for key, value in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


# The product's own lines: one per line with time, level and logger name (docs/operations.md).
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_config(level: str = "info") -> dict[str, Any]:
    """uvicorn's own logging configuration with the redacting filter on every handler, and the root
    logger (the product's `entryphone.*` loggers) on the same redacted stderr handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact_credentials": {"()": RedactCredentials}}
    config["formatters"]["entryphone"] = {"format": LOG_FORMAT}
    config["handlers"]["entryphone"] = {
        "class": "logging.StreamHandler",
        "formatter": "entryphone",
        "stream": "ext://sys.stderr",
    }
    for handler in config["handlers"].values():
        handler["filters"] = ["redact_credentials"]
    config["root"] = {"handlers": ["entryphone"], "level": level.upper()}
    return config


def configure(level: str = "info") -> None:
    """For processes that do not start uvicorn (`entryphone supervisor`): the same handlers."""
    logging.config.dictConfig(log_config(level))
