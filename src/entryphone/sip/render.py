"""Kamailio's configuration, rendered from kamailio.cfg.tmpl and the settings `serve` uses.

The template marks values as a name in double braces; every name must be given and every value must be safe
inside a Kamailio string (no quote, backslash, newline or `$`), so a setting can never change the
script around it.
"""

from __future__ import annotations

import glob
import hashlib
import hmac
import re
import shutil
import socket
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from entryphone.config import Settings

TEMPLATE = "kamailio.cfg.tmpl"
# Where Debian (and a source build) put Kamailio's modules.
MODULE_DIRS = (
    "/usr/lib/x86_64-linux-gnu/kamailio/modules",
    "/usr/lib/aarch64-linux-gnu/kamailio/modules",
    "/usr/lib/kamailio/modules",
    "/usr/local/lib64/kamailio/modules",
    "/usr/local/lib/kamailio/modules",
)
DEBIAN_PACKAGES = ("kamailio", "kamailio-utils-modules", "kamailio-extra-modules")
MODULES_NEEDED = ("http_client.so", "jansson.so", "tsilo.so", "dialog.so", "htable.so")

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
_UNSAFE = re.compile(r'["\\\n\r$]')
_HOST = re.compile(r"^[A-Za-z0-9.:\[\]-]{1,253}$")


class RenderError(ValueError):
    """A setting cannot be written into the configuration (or a placeholder has no value)."""


@dataclass(frozen=True)
class SipServer:
    """Where this Kamailio listens and how it reaches the platform."""

    host: str
    port: int
    api_url: str  # http://host:port of the platform's API (no credentials)
    rundir: Path
    node: str
    mpath: str


def module_dir() -> str | None:
    for candidate in MODULE_DIRS:
        if Path(candidate, "tm.so").exists():
            return candidate
    found = sorted(glob.glob("/usr/lib/*/kamailio/modules/tm.so"))
    return str(Path(found[0]).parent) if found else None


def kamailio_binary() -> str | None:
    return shutil.which("kamailio") or next(
        (path for path in ("/usr/sbin/kamailio", "/usr/local/sbin/kamailio") if Path(path).exists()), None
    )


def missing() -> str | None:
    """What to install when Kamailio or a module this configuration loads is absent; None if all is there."""
    install = "apt-get install " + " ".join(DEBIAN_PACKAGES)
    if kamailio_binary() is None:
        return f"Kamailio is not installed (no `kamailio` binary). On Debian/Ubuntu: {install}"
    path = module_dir()
    if path is None:
        return f"Kamailio's modules directory was not found. On Debian/Ubuntu: {install}"
    absent = [name for name in MODULES_NEEDED if not Path(path, name).exists()]
    if absent:
        return f"Kamailio modules missing in {path}: {', '.join(absent)}. On Debian/Ubuntu: {install}"
    return None


def api_url(settings: Settings) -> str:
    """The platform's API as Kamailio reaches it: a wildcard listen address means this host."""
    host = settings.host
    if host in ("0.0.0.0", "", "::"):  # noqa: S104 (reading the setting, not binding)
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def default_node(host: str, port: int) -> str:
    """A node name stable across restarts (its open calls are closed when it starts again)."""
    return f"{socket.gethostname()}:{port}"[:64]


def render(settings: Settings, server: SipServer, *, show_secret: bool = True) -> str:
    """The configuration text. With show_secret False the platform secret and nonce secret are
    replaced by placeholders (for printing; Kamailio cannot run that copy)."""
    secret = settings.resolved_sip_secret()
    nonce_secret = hmac.new(secret.encode(), b"entryphone:sip-nonce", hashlib.sha256).hexdigest()[:32]
    if not show_secret:
        secret, nonce_secret = "SIP_INTERNAL_SECRET", "SIP_NONCE_SECRET"
    if not _HOST.match(server.host):
        raise RenderError(f"invalid SIP listen host: {server.host!r}")
    db = settings.sip_db_url.strip()
    if db.startswith("postgres://") or db.startswith("postgresql://"):
        db = "postgres://" + db.split("://", 1)[1]
        db_module = 'loadmodule "db_postgres.so"'
        # DB-only mode: every node reads and writes the same `location` table (several nodes).
        usrloc = f'modparam("usrloc", "db_url", "{_safe(db)}")\nmodparam("usrloc", "db_mode", 3)'
    elif db:
        raise RenderError(
            "ENTRYPHONE_SIP_DB_URL must be a postgres:// URL (or empty: registrations in memory)"
        )
    else:
        db_module = "# registrations in memory (ENTRYPHONE_SIP_DB_URL unset)"
        usrloc = 'modparam("usrloc", "db_mode", 0)'
    ring, talk = settings.sip_ring_seconds, settings.sip_talk_seconds
    scheme, _, rest = server.api_url.partition("://")
    values: dict[str, str | int] = {
        "children": settings.sip_children,
        "tcp_children": max(2, settings.sip_children // 2),
        "host": server.host,
        "port": server.port,
        "domain": settings.sip_domain,
        "mpath": server.mpath,
        "rundir": str(server.rundir),
        "db_module": db_module,
        "usrloc": usrloc,
        "min_expires": 30,
        "max_expires": 3600,
        "default_expires": 600,
        "auth_failures": 5,
        "ip_failures": 100,
        "ban_seconds": 300,
        # The longest a call may ring or talk (sip_options are bounded by the admin API).
        "max_ring": max(ring, 600),
        "max_talk": max(talk, 14400),
        "default_ring": ring,
        "default_talk": talk,
        "nonce_secret": nonce_secret,
        "http_timeout": 2,
        "platform_url": f"{scheme}://kamailio:{secret}@{rest}/internal/sip",
        "node": server.node,
    }
    text = resources.files("entryphone.sip").joinpath(TEMPLATE).read_text()

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise RenderError(f"the template needs {name!r}")
        value = values[name]
        if isinstance(value, str) and name not in ("db_module", "usrloc"):
            return _safe(value)
        return str(value)

    return _PLACEHOLDER.sub(fill, text)


def _safe(value: str) -> str:
    if _UNSAFE.search(value):
        raise RenderError("a SIP setting contains a quote, backslash, newline or '$'")
    return value
