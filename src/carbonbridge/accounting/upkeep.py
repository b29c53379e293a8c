"""The name migration ``0016_accounting_regional_contributions`` imports when it backfills the
regional contributions: the use case itself is :mod:`carbonbridge.accounting.service.upkeep`.

Kept (and listed in ``pending_modules``) because a migration, once released, is not edited; it
goes once the migration imports the service module by its own name.
"""

from __future__ import annotations

from carbonbridge.accounting.service.upkeep import backfill

__all__ = ["backfill"]
