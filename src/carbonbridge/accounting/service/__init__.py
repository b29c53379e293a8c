"""Accounting use cases, the one package other contexts and the faces import: register reporters,
accept activity data, compute inventories and the regional statement, and publish them.

Each group of use cases lives in its own module. The core ones are re-exported here unchanged;
the others are imported by module (``from carbonbridge.accounting.service import release``), so
that an offline computation (``carbonbridge inventory compute``) imports no database stack:

* :mod:`~carbonbridge.accounting.service.inventories`: organisations, submissions (upload, rows,
  records), an organisation's inventory and its explanation, the regional inventory, region
  statistics (re-exported here);
* :mod:`~carbonbridge.accounting.service.records`: a page of an organisation's activity records;
* :mod:`~carbonbridge.accounting.service.corrections`: which submission replaces which;
* :mod:`~carbonbridge.accounting.service.events`: what each use case logs (ledger events);
* :mod:`~carbonbridge.accounting.service.statements`: an organisation's statement of a year
  (finalise, verify, reopen);
* :mod:`~carbonbridge.accounting.service.upkeep`: the regional contributions kept up to date
  with every write, and their rebuild;
* :mod:`~carbonbridge.accounting.service.release`: the regional statement as released to the
  caller (masked for the public);
* :mod:`~carbonbridge.accounting.service.roster`: the reporting status of a year, organisation by
  organisation;
* :mod:`~carbonbridge.accounting.service.adhoc`: an inventory of a file, computed and not stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from carbonbridge.accounting.service.inventories import (
    FRAMEWORKS,
    SUBMITTERS,
    NotComputableGroup,
    OrganisationInventory,
    RegionalData,
    RegionalResult,
    SubmissionResult,
    calculator,
    check_submitter,
    co_pollutant_totals,
    compute,
    compute_each,
    explain_record,
    inventory_of,
    list_organisations,
    not_computable_groups,
    organisation_count,
    organisation_inventory,
    regional,
    regional_data,
    regional_of,
    register_organisation,
    screen_for,
    sector_of,
    set_region_statistics,
    sources_for,
    submit_records,
    submit_rows,
    submit_upload,
    views,
    years_of,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from carbonbridge.accounting.service.inventories import SessionFactory as SessionFactory

    Auditor = Callable[[Session, Mapping[str, object]], Mapping[str, object] | None]


class _Auditors(Mapping[str, "Auditor"]):
    """How each accounting entry of the log is recomputed from the database (:mod:`.events`,
    :mod:`.statements`), where the ledger's audit looks for a context's auditors
    (``LEDGER_AUDITORS`` of its ``service``). Read on first use, so that importing this package
    imports no database stack."""

    def _all(self) -> dict[str, Auditor]:
        from carbonbridge.accounting.service import events, statements

        return {**events.LEDGER_AUDITORS, **statements.LEDGER_AUDITORS}

    def __getitem__(self, kind: str) -> Auditor:
        return self._all()[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


LEDGER_AUDITORS: Mapping[str, Auditor] = _Auditors()

__all__ = [
    "FRAMEWORKS",
    "LEDGER_AUDITORS",
    "SUBMITTERS",
    "NotComputableGroup",
    "OrganisationInventory",
    "RegionalData",
    "RegionalResult",
    "SubmissionResult",
    "calculator",
    "check_submitter",
    "co_pollutant_totals",
    "compute",
    "compute_each",
    "explain_record",
    "inventory_of",
    "list_organisations",
    "not_computable_groups",
    "organisation_count",
    "organisation_inventory",
    "regional",
    "regional_data",
    "regional_of",
    "register_organisation",
    "screen_for",
    "sector_of",
    "set_region_statistics",
    "sources_for",
    "submit_records",
    "submit_rows",
    "submit_upload",
    "views",
    "years_of",
]
