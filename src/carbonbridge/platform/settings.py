"""Settings from the environment (``CARBONBRIDGE_*``), validated once at start-up."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import Field
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
    #: disclosure control of public aggregates (docs/accounting.md, "Disclosure control"): a
    #: figure with fewer contributing organisations than this is withheld (threshold rule) ...
    disclosure_min_reporters: int = Field(default=3, ge=1)
    #: ... or whose n largest contributions exceed k % of it ((n,k)-dominance rule) ...
    disclosure_dominance_n: int = Field(default=1, ge=1)
    disclosure_dominance_k: Decimal = Field(default=Decimal(85), gt=0, lt=100)
    #: ... and every withheld one must stay uncertain by at least this % either way
    disclosure_protection_percent: Decimal = Field(default=Decimal(10), ge=0, le=100)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'carbonbridge.db').as_posix()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
