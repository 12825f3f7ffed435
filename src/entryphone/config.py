"""Settings, read from the environment (prefix ENTRYPHONE_). Nothing here connects to anything."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import socket
from enum import StrEnum
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    development = "development"
    production = "production"


# The async drivers entryphone ships with; any other (psycopg, pysqlite) is not installed or blocks.
DRIVERS = {"postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"}


def _check_driver(url: str) -> None:
    """Refuse a URL naming another driver with the URL to use instead (not rewritten silently: a
    libpq-style URL may carry options, such as sslmode, that asyncpg spells differently)."""
    scheme = url.partition("://")[0].lower()
    if scheme in DRIVERS.values():
        return
    dialect = scheme.partition("+")[0]
    if dialect in DRIVERS:
        raise ValueError(
            f"ENTRYPHONE_DATABASE_URL must use the {DRIVERS[dialect]}:// scheme, not {scheme}:// "
            f"(for example {DRIVERS[dialect]}://user:password@host:5432/entryphone)"
            if dialect != "sqlite"
            else f"ENTRYPHONE_DATABASE_URL must use the sqlite+aiosqlite:// scheme, not {scheme}://"
        )
    raise ValueError(
        f"ENTRYPHONE_DATABASE_URL: unsupported database {scheme!r}; use postgresql+asyncpg:// or sqlite+aiosqlite://"
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ENTRYPHONE_", extra="ignore")

    environment: Environment = Environment.development
    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: SecretStr | None = None
    # Former keys, comma-separated: still accepted to decrypt, never used to encrypt (key rotation).
    secret_key_fallbacks: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)  # 0: any free port (the log says which)
    log_level: str = "info"
    # PostgreSQL connections per process: enough for the concurrency one API process sees, so
    # connections are reused rather than opened and closed under load.
    db_pool_size: int = Field(default=20, ge=1, le=500)
    db_max_overflow: int = Field(default=10, ge=0, le=500)

    # Client API login: how many live tokens one resident may hold, and the brute-force guard.
    max_sessions_per_user: int = Field(default=10, ge=1)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_seconds: int = Field(default=300, ge=1)
    # Password spraying: failed logins from one client address (over any logins) within the lock-out
    # window before the address is locked too. The address is the TCP peer, or, when the peer is one of
    # `trusted_proxies` (comma-separated addresses or CIDR networks), the nearest untrusted address of
    # `forwarded_header`. The header is never read from anyone else.
    login_max_failures_per_address: int = Field(default=50, ge=1)
    trusted_proxies: str = ""
    forwarded_header: str = Field(default="X-Forwarded-For", min_length=1, max_length=64)

    # The operator's console (/console): a session ends after this many idle seconds; its cookie is
    # marked Secure when the request came over HTTPS, or always with console_secure_cookie (behind a
    # TLS-terminating proxy that does not forward the scheme).
    console_idle_seconds: int = Field(default=1800, ge=60, le=7 * 86400)
    console_secure_cookie: bool = False

    # Request bodies larger than this are refused with 413 before any parsing.
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Connections (cli/serving.py): a request must arrive whole (headers and body) within
    # request_read_timeout seconds or its connection is closed; idle keep-alive connections close
    # after keep_alive_timeout; request headers may not exceed max_header_bytes (h11 parser); on
    # SIGTERM, requests in flight get graceful_shutdown_timeout seconds before they are cut.
    request_read_timeout: float = Field(default=30.0, gt=0.0, le=3600.0)
    keep_alive_timeout: int = Field(default=5, ge=1, le=3600)
    max_header_bytes: int = Field(default=16_384, ge=1024, le=1_048_576)
    graceful_shutdown_timeout: int = Field(default=30, ge=1, le=3600)

    # Run the fleet supervisor inside `entryphone serve`.
    supervisor_enabled: bool = True
    # The fleet supervisor: this node's name in lease rows (default host:pid), how long a lease lives
    # without renewal (a dead node's intercoms are taken over after this), the long-poll wait per
    # device pull, the timeout of ordinary device calls, and the ceiling of the reconnect back-off.
    node_id: str = ""
    lease_seconds: float = Field(default=15.0, ge=1.0, le=3600.0)
    event_pull_wait: float = Field(default=20.0, ge=0.0, le=600.0)
    device_timeout: float = Field(default=10.0, gt=0.0, le=120.0)
    reconnect_max_seconds: float = Field(default=60.0, ge=0.1, le=3600.0)
    # How often last_seen_at of every panel a node hears from is written (one statement per node).
    last_seen_seconds: float = Field(default=30.0, ge=0.1, le=3600.0)
    # How long a human-waited command (open door, snapshot) may take on the device.
    command_timeout: float = Field(default=5.0, gt=0.0, le=60.0)
    # The longest MJPEG stream (`/snapshot?fps=`) one request gets; the app reconnects for more. A
    # stream also ends as soon as its client goes away.
    video_stream_max_seconds: float = Field(default=600.0, ge=1.0, le=86_400.0)

    # The SIP side (docs/calls.md). Where Kamailio listens (`entryphone sip`), the address phones are
    # told to register to (default: the listen address), the SIP domain (also the Digest realm), the
    # ring and talk limits used when an intercom's sip_options do not set them, how long a phone's
    # SIP account lives, the trunk landline calls leave through (a SIP URI; empty = no landline
    # calls), where Kamailio keeps registrations (empty = memory; a PostgreSQL URL shares them between
    # nodes) and the secret Kamailio presents to /internal/sip (default: derived from SECRET_KEY).
    sip_host: str = "127.0.0.1"
    sip_port: int = Field(default=5060, ge=1, le=65535)
    sip_public_host: str = ""
    sip_domain: str = Field(default="entryphone.local", pattern=r"^[A-Za-z0-9.-]{1,253}$")
    sip_ring_seconds: int = Field(default=30, ge=1, le=600)
    sip_talk_seconds: int = Field(default=120, ge=1, le=14400)
    sip_account_days: int = Field(default=30, ge=1, le=3650)
    sip_trunk: str = ""
    sip_db_url: str = ""
    sip_children: int = Field(default=4, ge=1, le=64)
    sip_internal_secret: SecretStr | None = None

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        self.trusted_proxy_networks()  # a typo in the list fails at start, not at the first login
        if not self.node_id:
            self.node_id = f"{socket.gethostname()}:{os.getpid()}"
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / 'entryphone.sqlite3'}"
        _check_driver(self.database_url)
        if self.environment is Environment.production and self.secret_key is None:
            raise ValueError(
                "ENTRYPHONE_SECRET_KEY is required in production: it encrypts device and SIP secrets at rest"
            )
        return self

    def trusted_proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        networks = []
        for item in self.trusted_proxies.split(","):
            if item.strip():
                try:
                    networks.append(ip_network(item.strip(), strict=False))
                except ValueError:
                    raise ValueError(
                        f"ENTRYPHONE_TRUSTED_PROXIES: {item.strip()!r} is not an address or network"
                    ) from None
        return tuple(networks)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """The file behind an SQLite URL, or None for in-memory / non-SQLite databases."""
        if not self.is_sqlite:
            return None
        _, _, rest = self.database_url.partition(":///")
        if not rest or rest.startswith(":memory:"):
            return None
        return Path(rest.split("?", 1)[0])

    def secret_key_fallback_list(self) -> list[str]:
        if self.secret_key_fallbacks is None:
            return []
        return [key.strip() for key in self.secret_key_fallbacks.get_secret_value().split(",") if key.strip()]

    def resolved_sip_secret(self) -> str:
        """What Kamailio presents to /internal/sip: set explicitly, or derived from SECRET_KEY so that
        `entryphone serve` and `entryphone sip` agree without another setting. URL-safe (hex)."""
        if self.sip_internal_secret is not None:
            return self.sip_internal_secret.get_secret_value()
        key = self.resolved_secret_key().encode()
        return hmac.new(key, b"entryphone:sip-internal", hashlib.sha256).hexdigest()

    def sip_advertised_host(self) -> str:
        return self.sip_public_host or self.sip_host

    def resolved_secret_key(self) -> str:
        """The key that encrypts secrets at rest. In development it is generated once into data_dir."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        key_file = self.data_dir / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key
