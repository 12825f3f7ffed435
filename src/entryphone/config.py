"""Settings, read from the environment (prefix ENTRYPHONE_). Nothing here connects to anything."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import socket
from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    development = "development"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ENTRYPHONE_", extra="ignore")

    environment: Environment = Environment.development
    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = "info"
    # PostgreSQL connections per process: enough for the concurrency one API process sees, so
    # connections are reused rather than opened and closed under load.
    db_pool_size: int = Field(default=20, ge=1, le=500)
    db_max_overflow: int = Field(default=10, ge=0, le=500)

    # Client API login: how many live tokens one resident may hold, and the brute-force guard.
    max_sessions_per_user: int = Field(default=10, ge=1)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_seconds: int = Field(default=300, ge=1)

    # Request bodies larger than this are refused with 413 before any parsing.
    max_body_bytes: int = Field(default=1_048_576, ge=1024)

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
    # How long a human-waited command (open door, snapshot) may take on the device.
    command_timeout: float = Field(default=5.0, gt=0.0, le=60.0)

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
        if not self.node_id:
            self.node_id = f"{socket.gethostname()}:{os.getpid()}"
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / 'entryphone.sqlite3'}"
        if self.environment is Environment.production and self.secret_key is None:
            raise ValueError(
                "ENTRYPHONE_SECRET_KEY is required in production: it encrypts device and SIP secrets at rest"
            )
        return self

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
