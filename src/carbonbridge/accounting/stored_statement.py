"""The regional statement as stored: one year's figures, suppression pattern and coverage as JSON.

What the faces show of the regional inventory is read from this stored copy (docs/accounting.md,
"The stored regional statement"); it is built from the row-by-row computation
(``regional.regional_inventory``) and equals it figure for figure: decimals are stored as their
exact text, so a decoded figure is the computed one (property-tested). A sector's record ids are
not stored (no face shows them; they are the records of the year, listed per organisation).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from carbonbridge.accounting.coverage import Coverage
from carbonbridge.accounting.disclosure import Withheld
from carbonbridge.accounting.model import RegionalYear, SectorTotal

#: a group of records the engine cannot compute: (year, activity, records, reason)
Excluded = tuple[int, str, int, str]


@dataclass(frozen=True)
class StoredYear:
    """One year of the stored statement under one GWP set."""

    figures: RegionalYear
    #: pollutant -> kg (pollution and carbon co-control)
    co_pollutants: Mapping[str, Decimal]
    #: cell key -> why it is withheld from the public (one pattern for every GWP set)
    withheld: Mapping[str, Withheld]
    coverage: Coverage


@dataclass(frozen=True)
class StoredHeader:
    """The region's facts under one GWP set (stored as year 0)."""

    synthetic: bool
    record_count: int
    excluded: tuple[Excluded, ...]


def _d(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _dec(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _sector(s: SectorTotal) -> dict[str, object]:
    return {
        "key": s.key,
        "en": s.label_en,
        "zh": s.label_zh,
        "kg": _d(s.co2e_kg),
        "gas": {g: _d(kg) for g, kg in s.by_gas.items()},
        "reported": s.reported,
    }


def _sector_of(d: Mapping[str, object]) -> SectorTotal:
    gases = d["gas"]
    if not isinstance(gases, Mapping):
        raise ValueError("stored regional statement: a sector's gases are not an object")
    return SectorTotal(
        str(d["key"]),
        str(d["en"]),
        str(d["zh"]),
        Decimal(str(d["kg"])),
        {str(g): Decimal(str(kg)) for g, kg in gases.items()},
        (),
        bool(d["reported"]),
    )


def assert_mapping(value: object) -> None:
    """A stored body is written by :func:`encode_year`; anything else is a corrupt row."""
    if not isinstance(value, Mapping):
        raise ValueError(f"stored regional statement: expected an object, got {type(value).__name__}")


def encode_year(
    year: RegionalYear,
    co_pollutants: Mapping[str, Decimal],
    withheld: Mapping[str, Withheld],
    coverage: Coverage,
) -> str:
    y = year
    body = {
        "year": y.year,
        "ipcc": [_sector(s) for s in y.ipcc],
        "gpc": [_sector(s) for s in y.gpc],
        "outside": [_sector(s) for s in y.outside_ipcc],
        "ipcc_total_kg": _d(y.ipcc_total_kg),
        "gpc_basic_kg": _d(y.gpc_basic_kg),
        "gpc_basic_plus_kg": _d(y.gpc_basic_plus_kg),
        "population": _d(y.population),
        "gdp_10k_cny": _d(y.gdp_10k_cny),
        "per_capita_kg": _d(y.per_capita_kg),
        "per_10k_cny_kg": _d(y.per_10k_cny_kg),
        "co_pollutants": {p: _d(kg) for p, kg in co_pollutants.items()},
        "withheld": {k: w.value for k, w in sorted(withheld.items())},
        "coverage": {
            "registered": coverage.registered,
            "reporting": coverage.reporting,
            "finalised": coverage.finalised,
            "verified": coverage.verified,
            "records": coverage.records,
            "excluded_records": coverage.excluded_records,
            "share_of_published": _d(coverage.share_of_published),
        },
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def decode_year(text: str) -> StoredYear:
    b = json.loads(text)
    assert_mapping(b)
    year = int(b["year"])
    figures = RegionalYear(
        year=year,
        ipcc=tuple(_sector_of(s) for s in b["ipcc"]),
        gpc=tuple(_sector_of(s) for s in b["gpc"]),
        ipcc_total_kg=Decimal(b["ipcc_total_kg"]),
        gpc_basic_kg=Decimal(b["gpc_basic_kg"]),
        gpc_basic_plus_kg=Decimal(b["gpc_basic_plus_kg"]),
        outside_ipcc=tuple(_sector_of(s) for s in b["outside"]),
        population=_dec(b["population"]),
        gdp_10k_cny=_dec(b["gdp_10k_cny"]),
        per_capita_kg=_dec(b["per_capita_kg"]),
        per_10k_cny_kg=_dec(b["per_10k_cny_kg"]),
    )
    c = b["coverage"]
    coverage = Coverage(
        year,
        int(c["registered"]),
        int(c["reporting"]),
        int(c["finalised"]),
        int(c["verified"]),
        int(c["records"]),
        int(c["excluded_records"]),
        _dec(c["share_of_published"]),
    )
    return StoredYear(
        figures,
        {str(p): Decimal(kg) for p, kg in b["co_pollutants"].items()},
        {str(k): Withheld(w) for k, w in b["withheld"].items()},
        coverage,
    )


def encode_header(synthetic: bool, record_count: int, excluded: Sequence[Excluded]) -> str:
    body = {"synthetic": synthetic, "records": record_count, "excluded": [list(x) for x in excluded]}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def decode_header(text: str) -> StoredHeader:
    b = json.loads(text)
    assert_mapping(b)
    excluded = tuple((int(y), str(a), int(n), str(r)) for y, a, n, r in b["excluded"])
    return StoredHeader(bool(b["synthetic"]), int(b["records"]), excluded)
