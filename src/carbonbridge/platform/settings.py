"""Settings from the environment (``CARBONBRIDGE_*``), validated once at start-up.

The data directory (``CARBONBRIDGE_DATA_DIR``, default ``var``) is resolved to an absolute path
once, when the settings load: a relative value is taken relative to the working directory of the
process that loads them, the CLI and the server alike, and from then on every path derived from
it (the embedded database, the log key) is absolute, so that messages name the real file. Two
processes started in different folders with the default therefore use different data
directories; run both from the installation's folder or set ``CARBONBRIDGE_DATA_DIR`` to an
absolute path (docs/ledger.md, "The log key"). A process whose log key is not the one the
database records refuses to sign (``ledger-log-key-mismatch``) rather than start a second key.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from limits import parse_many
from limits.errors import ConfigurationError
from limits.storage import Storage, storage_from_string
from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an installation configures. Secrets come from the environment, never files in git."""

    model_config = SettingsConfigDict(env_prefix="CARBONBRIDGE_", extra="ignore")

    #: where the embedded database, the ledger key and exports live (absolute once loaded)
    data_dir: Path = Field(default=Path("var"), validate_default=True)
    #: the log's signing key file; empty = ``<data_dir>/ledger/log.key`` (absolute once loaded)
    log_key_file: Path | None = None
    #: SQLAlchemy URL; empty = embedded SQLite at ``data_dir/carbonbridge.db``
    database_url: str = ""
    #: the region this installation serves (ISO 3166-2)
    region: str = "CN-HI"
    #: dataset ids or ``id@version`` the region pins, in priority order (comma-separated in env)
    pinned_datasets: str = ""
    #: when no factor applies to a record's reporting year: ``strict`` (none is used) or
    #: ``nearest-earlier`` (the nearest earlier one, said in the trace); docs/factor-datasets.md
    factor_year_policy: Literal["strict", "nearest-earlier"] = "strict"
    #: rows above which an upload is refused
    max_upload_rows: int = 200_000
    #: default UI language
    default_locale: str = "zh"
    #: disclosure control of public aggregates (docs/accounting.md, "Disclosure control"): a
    #: figure with fewer contributing organisations than this is withheld (threshold rule) ...
    disclosure_min_reporters: int = Field(default=3, ge=1)
    #: ... or whose n largest contributions exceed k % of it ((n,k)-dominance rule) ...
    disclosure_dominance_n: int = Field(default=1, ge=1)
    disclosure_dominance_k: Decimal = Field(default=Decimal(85), gt=0, lt=100)
    #: ... and every withheld one must stay uncertain by at least this % either way
    disclosure_protection_percent: Decimal = Field(default=Decimal(10), ge=0, le=100)
    #: bytes above which a request body (an upload, a JSON document) is refused with 413, unread
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    #: how long a web login (session cookie) lasts, in hours (docs/security.md)
    session_lifetime_hours: int = Field(default=12, gt=0, le=24 * 90)
    #: how long an API token lasts unless issued with another lifetime, in days
    token_lifetime_days: int = Field(default=90, gt=0, le=3660)
    #: login attempts allowed per user name, in ``limits`` notation (';' between several)
    login_limit_per_user: str = "5/minute;30/hour"
    #: login attempts allowed per client address
    login_limit_per_address: str = "30/minute;500/day"
    #: where login attempts are counted: ``memory://`` (per process) or, for several workers,
    #: a shared store such as ``redis://host:6379`` (needs the ``redis`` client package)
    throttle_storage: str = "memory://"

    @field_validator("login_limit_per_user", "login_limit_per_address")
    @classmethod
    def _rate_limits(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate limit such as '5/minute;30/hour'") from None
        return value

    @field_validator("throttle_storage")
    @classmethod
    def _throttle_storage(cls, value: str) -> str:
        try:
            storage = storage_from_string(value)
        except ConfigurationError as exc:
            raise ValueError(f"{value!r} cannot be used: {exc}") from None
        if not isinstance(storage, Storage):
            raise ValueError(f"{value!r} is asynchronous; use e.g. memory:// or redis://host:6379")
        return value

    @field_validator("data_dir", "log_key_file", mode="before")
    @classmethod
    def _absolute(cls, value: object, info: ValidationInfo) -> object:
        """``~`` expanded and made absolute against the working directory, once, at load."""
        if info.field_name == "log_key_file" and value in (None, ""):
            return None
        return Path(str(value)).expanduser().resolve()

    #: SQLite's ``PRAGMA synchronous`` (WAL mode): ``full`` syncs the WAL at every commit, so an
    #: acknowledged write survives a power loss or an OS crash; ``normal`` syncs only at WAL
    #: checkpoints: it survives a crash of the process, but the last commits before a power loss
    #: or an OS crash may roll back (the database stays consistent). ``docs/operations.md``
    sqlite_synchronous: Literal["full", "normal"] = "full"
    #: bearer secret that ``/metrics`` requires; unset = ``/metrics`` is public (``docs/operations.md``)
    metrics_token: SecretStr | None = None

    @field_validator("sqlite_synchronous", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'carbonbridge.db').as_posix()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
