"""Settings: read from environment variables (``CSQM_*``) or passed explicitly.

The pseudonymisation secret is never a built-in default: if ``CSQM_SECRET`` is not set, a random key
is created once in the data directory (mode 0600) and reused, so pseudonyms stay stable.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from csqm.errors import ConfigError

DEFAULT_DATA_DIR = Path("csqm-data")
SECRET_FILE = "secret.key"


class Settings(BaseModel):
    """Everything configurable, with defaults that work out of the box."""

    model_config = ConfigDict(frozen=True)

    data_dir: Path = Field(DEFAULT_DATA_DIR, description="Folder for the embedded store and keys.")
    store_url: str | None = Field(None, description="Database URL; default is the embedded DuckDB file in data_dir.")
    secret: str | None = Field(None, description="Key for pseudonyms (HMAC); created if unset.")
    keep_raw_pii: bool = Field(False, description="Store clear identity values (off by default).")
    timezone: str = Field("Asia/Shanghai", description="Zone of naive timestamps in input files.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Asia/Shanghai)") from None
        return value

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Build settings from ``CSQM_*`` environment variables, then explicit overrides."""
        values: dict[str, object] = {}
        env = os.environ
        if "CSQM_DATA_DIR" in env:
            values["data_dir"] = Path(env["CSQM_DATA_DIR"])
        if "CSQM_STORE_URL" in env:
            values["store_url"] = env["CSQM_STORE_URL"]
        if "CSQM_SECRET" in env:
            values["secret"] = env["CSQM_SECRET"]
        if "CSQM_KEEP_RAW_PII" in env:
            values["keep_raw_pii"] = env["CSQM_KEEP_RAW_PII"].lower() in {"1", "true", "yes"}
        if "CSQM_TIMEZONE" in env:
            values["timezone"] = env["CSQM_TIMEZONE"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(values)
        except ValueError as exc:
            raise ConfigError(f"Invalid settings: {exc}") from exc

    @property
    def resolved_store_url(self) -> str:
        """The store URL, defaulting to ``duckdb:///<data_dir>/csqm.duckdb``."""
        if self.store_url:
            return self.store_url
        return f"duckdb:///{(self.data_dir / 'csqm.duckdb').as_posix()}"

    def secret_key(self) -> bytes:
        """The pseudonymisation key: ``CSQM_SECRET`` or a random key kept in the data directory."""
        if self.secret:
            if len(self.secret) < 16:
                raise ConfigError("CSQM_SECRET must be at least 16 characters long.")
            return self.secret.encode()
        path = self.data_dir / SECRET_FILE
        if path.exists():
            return path.read_bytes().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32).encode()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        return key
