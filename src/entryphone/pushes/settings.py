"""Push settings, read from the environment (prefix ENTRYPHONE_PUSH_)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class PushSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ENTRYPHONE_PUSH_", extra="ignore")

    # Where pushes for devices without a live WebSocket are POSTed; unset: they are not sent.
    webhook_url: str | None = None
    # Signs each body (X-Entryphone-Signature: sha256=HMAC) so the receiver can trust it.
    webhook_secret: SecretStr | None = None
    webhook_attempts: int = Field(default=5, ge=1, le=20)
    webhook_backoff_seconds: float = Field(default=1.0, ge=0, le=300)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
