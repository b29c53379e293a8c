"""Factor-library domain types. Format of the package data: ``docs/factor-datasets.md``."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable


class Parameter(StrEnum):
    """What a factor row's value is."""

    EMISSION_FACTOR = "ef"
    NET_CALORIFIC_VALUE = "ncv"
    CARBON_CONTENT = "cc"
    OXIDATION_FACTOR = "of"
    GWP = "gwp"
    MASS_FRACTION = "mass_fraction"
    DENSITY = "density"


class Confidence(StrEnum):
    CONFIRMED = "confirmed"
    VERIFY = "verify"


class YearPolicy(StrEnum):
    """What a region accepts when no factor in scope applies to the reporting year itself
    (``docs/factor-datasets.md``, "Reporting years and the year policy").

    Only factors that name the reporting years they apply to (``applies``: the DESNZ annual sets,
    the MEE series-A grid factor) are concerned; a factor published for a later year is never used
    under either policy.
    """

    #: a factor is used only for the reporting years it applies to (the default)
    STRICT = "strict"
    #: when none applies, the nearest earlier published one stands in, and the trace says so
    NEAREST_EARLIER = "nearest-earlier"


class GwpSet(StrEnum):
    """IPCC assessment report whose 100-year GWPs convert gases to CO2e."""

    AR4 = "AR4"
    AR5 = "AR5"
    AR6 = "AR6"


#: Greenhouse gases reported individually (Kyoto basket); fluorinated gases by their own name.
KYOTO_GAS_GROUPS: dict[str, str] = {
    "CO2": "CO2",
    "CH4": "CH4",
    "N2O": "N2O",
    "SF6": "SF6",
    "NF3": "NF3",
}

#: Co-pollutants computed alongside greenhouse gases (pollution and carbon co-control).
CO_POLLUTANTS: frozenset[str] = frozenset({"SO2", "NOx", "PM10", "PM2.5", "PM"})


def gas_group(gas: str) -> str:
    """The reporting group of a gas: CO2, CH4, N2O, HFCs, PFCs, SF6, NF3, CO2e or a co-pollutant.

    >>> gas_group("HFC-134a"), gas_group("PFC-14"), gas_group("CH4")
    ('HFCs', 'PFCs', 'CH4')
    """
    if gas.startswith("HFC"):
        return "HFCs"
    if gas.startswith("PFC"):
        return "PFCs"
    return KYOTO_GAS_GROUPS.get(gas, gas)


@dataclass(frozen=True)
class Dataset:
    """A published factor set at one version (errata are new versions)."""

    id: str
    version: str
    publisher: str
    title: str
    year: int
    url: str
    licence: str
    supersedes: str | None = None
    notes: str = ""
    #: ``(table prefix, url)`` pairs, most specific first: a row whose ``table`` starts with the
    #: prefix links to that document (a chapter's PDF, the workbook the rows are read from); any
    #: other row links to :attr:`url` (``docs/factor-datasets.md``, manifest key ``documents``)
    documents: tuple[tuple[str, str], ...] = ()

    def document_for(self, table: str) -> str:
        """The document a row citing ``table`` is read from: the longest matching prefix's, else
        the dataset's :attr:`url`."""
        found = [(prefix, url) for prefix, url in self.documents if table.startswith(prefix)]
        return max(found, key=lambda item: len(item[0]))[1] if found else self.url

    @property
    def ref(self) -> str:
        """``id@version``, the key every result records."""
        return f"{self.id}@{self.version}"


@dataclass(frozen=True)
class Factor:
    """One published value with its full provenance."""

    dataset: Dataset
    row_id: str
    parameter: Parameter
    activity: str
    gas: str | None
    value: Decimal
    unit: str
    region: str = "*"
    year: int | None = None
    applies: tuple[int, int] | None = None
    sector: str | None = None
    variant: str | None = None
    table: str = ""
    note: str = ""
    confidence: Confidence = Confidence.CONFIRMED

    @property
    def key(self) -> str:
        """Globally unique key: ``dataset@version#row_id``."""
        return f"{self.dataset.ref}#{self.row_id}"

    @property
    def shown_unit(self) -> str:
        """The unit as a person reads it: a carbon content (MEE guideline 单位热值含碳量, IPCC
        2006 Vol.2 Ch.1 Table 1.3) is tonnes of *carbon*, not CO2, per TJ, so ``t/TJ`` shows as
        ``tC/TJ``; every other unit as stored (the stored unit is what pint computes with)."""
        if self.parameter is Parameter.CARBON_CONTENT and "/" in self.unit:
            mass, per = self.unit.split("/", 1)
            if mass in {"t", "kg", "g"}:
                return f"{mass}C/{per}"
        return self.unit

    @property
    def source_url(self) -> str:
        """Where a person reads this row: its table's document when the dataset names one
        (:attr:`Dataset.documents`), else the dataset's page."""
        return self.dataset.document_for(self.table)

    def citation(self) -> str:
        """Human-readable source line, e.g. ``IPCC, 2006 IPCC Guidelines ..., Vol.2 Ch.1 Table 1.4``."""
        parts = [self.dataset.publisher, self.dataset.title, self.table]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class FactorQuery:
    """What a calculation needs: e.g. the CO2 ``ef`` of ``fuel.natural_gas`` in ``CN-HI`` for 2024."""

    parameter: Parameter
    activity: str
    gas: str | None = None
    region: str = "*"
    year: int | None = None
    sector: str | None = None
    variant: str | None = None
    #: datasets to search in priority order (``id`` or ``id@version``); empty = all loaded ones
    datasets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rejected:
    """A candidate the resolver did not choose, and why."""

    factor: Factor
    reason: str


@dataclass(frozen=True)
class Resolution:
    """The chosen factor and the rule that chose it (the answer to ``explain``)."""

    query: FactorQuery
    factor: Factor
    rule: str
    rejected: tuple[Rejected, ...] = field(default=())
    #: why a factor for another reporting year stands in (year policy ``nearest-earlier``), else ""
    fallback: str = ""


class FactorResolver(Protocol):
    """Anything that answers "which factor, and why" (``factors.resolution.FactorLibrary``).

    ``resolve`` raises :class:`carbonbridge.kernel.errors.FactorNotFound` naming what is missing;
    it never guesses. GWPs are resolved as ``FactorQuery(Parameter.GWP, "gwp", gas=..., variant="AR6")``
    and refrigerant blend compositions as ``FactorQuery(Parameter.MASS_FRACTION, "refrigerant.R-410A")``
    through :meth:`resolve_all`.
    """

    def resolve(self, query: FactorQuery) -> Resolution: ...

    def resolve_all(self, query: FactorQuery) -> tuple[Resolution, ...]:
        """Every row matching ``query`` from the single best dataset (e.g. all gases of a blend)."""
        ...


@runtime_checkable
class FactorCatalogue(FactorResolver, Protocol):
    """A resolver over loaded datasets with the region's pins: what another context may know of
    ``factors.resolution.FactorLibrary`` (which satisfies it) without reaching into the factors
    context's internals. ``pinned`` is the region's choice of datasets in priority order."""

    pinned: tuple[str, ...]

    def datasets(self) -> list[Dataset]:
        """The loaded datasets, highest priority first."""
        ...
