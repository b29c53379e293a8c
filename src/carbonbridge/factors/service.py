"""Factor use cases: the region's library (built-in + plug-in + imported datasets, with pins),
importing a dataset, pinning, search."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

from carbonbridge.factors.datasets import parse_factors_csv, parse_manifest, plugin_datasets
from carbonbridge.factors.model import Dataset, Factor, FactorQuery, Resolution, YearPolicy
from carbonbridge.factors.resolution import FactorLibrary
from carbonbridge.kernel.clock import utc_now
from carbonbridge.kernel.errors import Conflict, FactorNotFound, FieldIssue, InvalidInput

# the store, the log and the database are imported by the use cases that write or read them:
# the CLI's offline commands (``shipped_library``) start without the database stack
# (docs/cli.md, "Start-up time")
if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from carbonbridge.platform.identity import Principal


@lru_cache(maxsize=1)
def _shipped() -> tuple[tuple[Dataset, tuple[Factor, ...]], ...]:
    """Built-in and plug-in datasets (entry points), parsed once per process."""
    return tuple((d, tuple(f)) for d, f in plugin_datasets())


_cache_lock = threading.Lock()
_cache: dict[tuple[object, ...], FactorLibrary] = {}


def year_policy() -> YearPolicy:
    """The installation's year policy (``CARBONBRIDGE_FACTOR_YEAR_POLICY``, default ``strict``):
    what the region accepts when no factor applies to a record's reporting year."""
    from carbonbridge.platform.settings import get_settings

    return YearPolicy(get_settings().factor_year_policy)


def _generation(session: Session) -> tuple[object, ...]:
    from sqlalchemy import select

    from carbonbridge.factors import store

    refs = tuple(
        session.execute(select(store.DatasetRow.id, store.DatasetRow.version, store.DatasetRow.sha256))
    )
    return (tuple(tuple(r) for r in refs), store.pins(session), year_policy())


def library_in(session: Session) -> FactorLibrary:
    """The library as of ``session``'s transaction (cached while nothing was imported or pinned)."""
    from carbonbridge.factors import store

    generation = _generation(session)
    with _cache_lock:
        cached = _cache.get(generation)
    if cached is not None:
        return cached
    datasets: list[tuple[Dataset, list[Factor]]] = [(d, list(f)) for d, f in _shipped()]
    shipped_refs = {d.ref for d, _ in datasets}
    datasets.extend((d, f) for d, f in store.imported_datasets(session) if d.ref not in shipped_refs)
    library = FactorLibrary(datasets, pinned=store.pins(session), year_policy=year_policy())
    with _cache_lock:
        _cache.clear()
        _cache[generation] = library
    return library


def library(sessions: sessionmaker[Session]) -> FactorLibrary:
    """The region's library (shipped, plug-in and imported datasets, with the pins)."""
    from carbonbridge.platform.db import unit_of_work

    with unit_of_work(sessions) as session:
        return library_in(session)


def check_importer(principal: Principal) -> None:
    """Who may import a dataset: the regulator (the faces check it before reading the files)."""
    from carbonbridge.platform.identity import Role

    principal.require(Role.REGULATOR)


def import_dataset(
    sessions: sessionmaker[Session], principal: Principal, manifest_json: str, factors_csv: str
) -> Dataset:
    """Import a region's own dataset (manifest + CSV in the package-data format).

    All rows are validated first; any bad row rejects the whole import. A version that exists
    (shipped or imported) is a conflict: an erratum must be a new version.
    """
    from carbonbridge.factors import store
    from carbonbridge.platform.db import unit_of_work

    check_importer(principal)
    dataset = parse_manifest(manifest_json)
    if dataset.documents:
        # the store keeps one URL per dataset: refuse rather than drop the per-table links
        raise InvalidInput(
            "an imported dataset links every row to its url; documents are for shipped and plug-in datasets",
            [FieldIssue(("documents",), dict(dataset.documents), "not stored for an imported dataset")],
        )
    factors = parse_factors_csv(dataset, factors_csv)
    if not factors:
        raise InvalidInput("the dataset has no rows", [FieldIssue(("factors",), "", "at least one row")])
    if any(d.ref == dataset.ref for d, _ in _shipped()):
        raise Conflict(f"dataset {dataset.ref} is shipped with the platform; import a new version")
    digest = hashlib.sha256(manifest_json.encode() + b"\0" + factors_csv.encode()).hexdigest()
    with unit_of_work(sessions) as session:
        if store.dataset_exists(session, dataset.id, dataset.version):
            raise Conflict(f"dataset {dataset.ref} was already imported; an erratum is a new version")
        store.add_dataset(
            session, dataset, factors, sha256=digest, imported_by=principal.user_id or "", at=utc_now()
        )
        from carbonbridge.ledger import service as ledger

        ledger.append_event(
            session, DATASET_EVENT, _dataset_event(session, dataset.id, dataset.version) or {}
        )
    return dataset


DATASET_EVENT = "factors.dataset_published"
PINS_EVENT = "factors.pins"


def _dataset_event(session: Session, dataset_id: str, version: str) -> dict[str, object] | None:
    from carbonbridge.factors import store

    row = session.get(store.DatasetRow, (dataset_id, version))
    if row is None:
        return None
    return {"dataset": f"{dataset_id}@{version}", "publisher": row.publisher, "sha256": row.sha256}


#: how the ledger's audit recomputes each factor event from the database state
LEDGER_AUDITORS: dict[str, Callable[[Session, Mapping[str, object]], Mapping[str, object] | None]] = {
    DATASET_EVENT: lambda session, event: _dataset_event(
        session, *str(event.get("dataset", "@")).split("@", 1)
    ),
}


def pin(sessions: sessionmaker[Session], principal: Principal, datasets: tuple[str, ...]) -> tuple[str, ...]:
    """Set the region's pinned datasets (priority order); each must be loaded."""
    from carbonbridge.factors import store
    from carbonbridge.platform.db import unit_of_work
    from carbonbridge.platform.identity import Role

    principal.require(Role.REGULATOR)
    with unit_of_work(sessions) as session:
        loaded = library_in(session).datasets()
        known = {d.ref for d in loaded} | {d.id for d in loaded}
        issues = [
            FieldIssue(("datasets", i), ref, "no such dataset (id or id@version)")
            for i, ref in enumerate(datasets)
            if ref not in known
        ]
        if issues:
            raise InvalidInput("cannot pin unknown datasets", issues)
        store.set_pins(session, datasets)
        from carbonbridge.ledger import service as ledger

        ledger.append_event(session, PINS_EVENT, {"datasets": list(datasets), "by": principal.user_id or ""})
        return store.pins(session)


def search(
    sessions: sessionmaker[Session], text: str = "", *, activity_prefix: str = "", dataset: str = ""
) -> list[Factor]:
    return library(sessions).search(text, activity_prefix=activity_prefix, dataset=dataset)


def shipped_library(policy: YearPolicy | None = None) -> FactorLibrary:
    """The built-in and plug-in datasets alone (no database): for the CLI's offline commands,
    under ``policy`` (default: the installation's :func:`year_policy`, as every other surface)."""
    return FactorLibrary([(d, list(f)) for d, f in _shipped()], year_policy=policy or year_policy())


def explain(library: FactorLibrary, query: FactorQuery) -> Resolution:
    """The resolution ``factors resolve`` (CLI and API) explains, as the engine would reach it.

    A query without a gas for an activity published per gas (DESNZ publishes ``CO2e``) is what the
    engine's per-unit path asks with :meth:`FactorLibrary.resolve_all`: asked the same way, it fails
    with the same reason the inventory and an upload give (``docs/factor-datasets.md``).
    """
    try:
        return library.resolve(query)
    except FactorNotFound:
        if query.gas is not None:
            raise
        found = library.resolve_all(query)  # raises the engine's own FactorNotFound
        if len(found) != 1:
            raise
        return found[0]
