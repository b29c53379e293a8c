"""Reading factor datasets (docs/factor-datasets.md) and the shipped package data."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from carbonbridge.factors.datasets import (
    COLUMNS,
    builtin_datasets,
    load_dataset_dir,
    parse_factors_csv,
    parse_manifest,
    plugin_datasets,
)
from carbonbridge.factors.model import CO_POLLUTANTS, Confidence, Dataset, Factor, Parameter
from carbonbridge.kernel.errors import InvalidInput

HEADER = ",".join(COLUMNS) + "\n"
MANIFEST = {
    "id": "test-set",
    "version": "1",
    "publisher": "Test",
    "title": "Test factors",
    "year": 2024,
    "url": "https://example.org",
    "licence": "public document",
    "supersedes": None,
    "notes": "",
}
DATASET = Dataset("test-set", "1", "Test", "Test factors", 2024, "https://example.org", "public document")
BUILTIN = builtin_datasets()


def test_every_shipped_dataset_parses_and_is_not_empty() -> None:
    assert len(BUILTIN) >= 10
    assert all(factors for _, factors in BUILTIN)


@pytest.mark.parametrize("entry", BUILTIN, ids=lambda e: e[0].ref)
def test_shipped_row_ids_are_unique(entry: tuple[Dataset, list[Factor]]) -> None:
    _, factors = entry
    ids = [f.row_id for f in factors]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("entry", BUILTIN, ids=lambda e: e[0].ref)
def test_every_shipped_row_cites_a_table(entry: tuple[Dataset, list[Factor]]) -> None:
    _, factors = entry
    assert all(f.table for f in factors)


def test_every_combustion_fuel_has_co2_ch4_and_n2o_factors() -> None:
    gases: dict[str, set[str]] = defaultdict(set)
    for _, factors in BUILTIN:
        for f in factors:
            if (
                f.parameter is Parameter.EMISSION_FACTOR
                and f.activity.startswith(("fuel.", "mobile."))
                and f.gas not in CO_POLLUTANTS  # air-pollutant sets (EMEP/EEA) publish no GHGs
            ):
                gases[f"{f.dataset.ref} {f.activity}"].add(f.gas or "")
    assert gases
    incomplete = {k: v for k, v in gases.items() if not {"CO2", "CH4", "N2O"} <= v}
    assert incomplete == {}


def test_blend_compositions_sum_to_one_hundred_percent() -> None:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for _, factors in BUILTIN:
        for f in factors:
            if f.parameter is Parameter.MASS_FRACTION:
                totals[f.activity] += f.value
    assert set(totals) >= {"refrigerant.R-410A", "refrigerant.R-404A", "refrigerant.R-407C"}
    assert set(totals.values()) == {Decimal(100)}


def test_values_keep_the_printed_digits() -> None:
    ncv = next(
        f
        for _, fs in BUILTIN
        for f in fs
        if f.dataset.id == "cn-mee-fuel-defaults" and f.row_id == "A2-motor_gasoline-ncv"
    )
    assert str(ncv.value) == "43.070"


def test_valid_csv_parses_into_factors() -> None:
    text = HEADER + "r1,ef,fuel.natural_gas,CO2,56100,kg/TJ,*,,2023-2025,,,T1.4,,confirmed\n"
    [factor] = parse_factors_csv(DATASET, text)
    assert factor.value == Decimal("56100")
    assert factor.applies == (2023, 2025)
    assert factor.confidence is Confidence.CONFIRMED
    assert factor.key == "test-set@1#r1"


def test_invalid_csv_reports_every_issue_at_once() -> None:
    text = HEADER + (
        "r1,energy,fuel.gas,CO2,56100,kg/TJ,*,,,,,T1,,confirmed\n"
        "r2,ef,fuel.gas,CO2,5x,kg/TJ,*,,,,,T1,,confirmed\n"
        "r3,ef,fuel.gas,CO2,1,furlongs_of_gas,*,,,,,T1,,confirmed\n"
        "r3,ef,fuel.gas,CO2,1,kg/TJ,*,,2025-2023,,,T1,,maybe\n"
        "r5,ef,fuel.gas,CO2,1,kg/TJ,Hainan,20x4,,industry,,,,confirmed\n"
    )
    with pytest.raises(InvalidInput) as caught:
        parse_factors_csv(DATASET, text)
    located = {issue.location for issue in caught.value.issues}
    assert located == {
        ("rows", 2, "parameter"),
        ("rows", 3, "value"),
        ("rows", 4, "unit"),
        ("rows", 5, "row_id"),
        ("rows", 5, "applies"),
        ("rows", 5, "confidence"),
        ("rows", 6, "region"),
        ("rows", 6, "year"),
        ("rows", 6, "sector"),
        ("rows", 6, "table"),
    }


def test_missing_column_is_reported_in_the_header() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_factors_csv(DATASET, "row_id,parameter\nr1,ef\n")
    assert ("header", "confidence") in {i.location for i in caught.value.issues}


def test_manifest_reports_every_bad_field() -> None:
    bad = {**MANIFEST, "id": "Not An Id", "year": "2024", "supersedes": "nope", "colour": "red"}
    with pytest.raises(InvalidInput) as caught:
        parse_manifest(json.dumps(bad))
    assert {i.location for i in caught.value.issues} == {
        ("id",),
        ("year",),
        ("supersedes",),
        ("colour",),
    }


def test_dataset_directory_must_match_its_manifest(tmp_path: Path) -> None:
    directory = tmp_path / "other-id" / "1"
    directory.mkdir(parents=True)
    (directory / "dataset.json").write_text(json.dumps(MANIFEST), encoding="utf-8")
    (directory / "factors.csv").write_text(HEADER, encoding="utf-8")
    with pytest.raises(InvalidInput, match="does not match its manifest"):
        load_dataset_dir(directory)


def test_dataset_directory_loads(tmp_path: Path) -> None:
    directory = tmp_path / "test-set" / "1"
    directory.mkdir(parents=True)
    (directory / "dataset.json").write_text(json.dumps(MANIFEST), encoding="utf-8")
    (directory / "factors.csv").write_text(
        HEADER + "r1,ncv,fuel.diesel,,43.0,TJ/Gg,*,,,,,Table 1.2,,verify\n", encoding="utf-8"
    )
    dataset, [factor] = load_dataset_dir(directory)
    assert dataset == DATASET
    assert factor.unit == "TJ/Gg"


class _FakeEntryPoint:
    def __init__(self, name: str, provider: object) -> None:
        self.name = name
        self.value = f"tests:{name}"
        self._provider = provider

    def load(self) -> object:
        return self._provider


def test_plugin_datasets_collects_each_entry_point() -> None:
    points = [_FakeEntryPoint("builtin", builtin_datasets)]
    loaded = plugin_datasets(points)  # type: ignore[arg-type]
    assert [d.ref for d, _ in loaded] == [d.ref for d, _ in BUILTIN]


def test_plugin_returning_the_wrong_shape_is_rejected() -> None:
    points = [_FakeEntryPoint("broken", lambda: {"not": "a list"})]
    with pytest.raises(InvalidInput, match="plug-in"):
        plugin_datasets(points)  # type: ignore[arg-type]


def test_a_manifest_names_the_document_each_table_is_read_from() -> None:
    documents = {"Vol.2 Ch.1": "https://example.org/ch1.pdf", "Vol.2": "https://example.org/vol2.pdf"}
    dataset = parse_manifest(json.dumps({**MANIFEST, "documents": documents}))
    rows = parse_factors_csv(
        dataset,
        HEADER
        + "a,ncv,fuel.x,,1,TJ/Gg,*,,,,,Vol.2 Ch.1 Table 1.2,,verify\n"
        + "b,ncv,fuel.y,,1,TJ/Gg,*,,,,,Vol.2 Ch.2 Table 2.2,,verify\n"
        + "c,ncv,fuel.z,,1,TJ/Gg,*,,,,,Annex,,verify\n",
    )
    # the longest prefix wins; a row no prefix matches links to the dataset's page
    assert [f.source_url for f in rows] == [
        "https://example.org/ch1.pdf",
        "https://example.org/vol2.pdf",
        "https://example.org",
    ]


def test_a_document_that_is_not_a_url_is_refused() -> None:
    bad = {**MANIFEST, "documents": {"Table 1": "see the PDF", "Table 2": "https://example.org/t2.pdf"}}
    with pytest.raises(InvalidInput) as caught:
        parse_manifest(json.dumps(bad))
    assert [(i.location, i.value) for i in caught.value.issues] == [(("documents", "Table 1"), "see the PDF")]
    with pytest.raises(InvalidInput) as listed:
        parse_manifest(json.dumps({**MANIFEST, "documents": ["https://example.org"]}))
    assert listed.value.issues[0].location == ("documents",)
