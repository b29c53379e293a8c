"""Settings from the environment (``CARBONBRIDGE_*``), validated once at start-up."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an installation configures. Secrets come from the environment, never files in git."""

    model_config = SettingsConfigDict(env_prefix="CARBONBRIDGE_", extra="ignore")

    #: where the embedded database, the ledger key and exports live
    data_dir: Path = Field(default=Path("var"))
    #: SQLAlchemy URL; empty = embedded SQLite at ``data_dir/carbonbridge.db``
    database_url: str = ""
    #: the region this installation serves (ISO 3166-2)
    region: str = "CN-HI"
    #: dataset ids or ``id@version`` the region pins, in priority order (comma-separated in env)
    pinned_datasets: str = ""
    #: rows above which an upload is refused
    max_upload_rows: int = 200_000
    #: default UI language
    default_locale: str = "zh"
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
