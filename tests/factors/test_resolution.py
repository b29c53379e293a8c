"""Resolution rules of ``factors.resolution.FactorLibrary``: one behaviour per test."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonbridge.factors.datasets import builtin_datasets
from carbonbridge.factors.model import Dataset, Factor, FactorQuery, Parameter, YearPolicy
from carbonbridge.factors.resolution import FactorLibrary
from carbonbridge.kernel.errors import FactorNotFound, InvalidInput


def _dataset(dataset_id: str, version: str = "1", supersedes: str | None = None) -> Dataset:
    return Dataset(dataset_id, version, "Test", dataset_id, 2024, "https://example.org", "public", supersedes)


def _ef(dataset: Dataset, row_id: str, value: str, **fields: object) -> Factor:
    defaults: dict[str, object] = {"activity": "electricity.grid", "gas": "CO2", "unit": "t/MWh"}
    defaults.update(fields)
    return Factor(
        dataset=dataset,
        row_id=row_id,
        parameter=Parameter.EMISSION_FACTOR,
        value=Decimal(value),
        table="T",
        **defaults,  # type: ignore[arg-type]
    )


GRID = FactorQuery(Parameter.EMISSION_FACTOR, "electricity.grid", gas="CO2")
A = _dataset("series-a")
B = _dataset("series-b")


def _library(
    *factors: Factor, pinned: tuple[str, ...] = (), policy: YearPolicy = YearPolicy.STRICT
) -> FactorLibrary:
    by_dataset: dict[Dataset, list[Factor]] = {}
    for f in factors:
        by_dataset.setdefault(f.dataset, []).append(f)
    return FactorLibrary(by_dataset.items(), pinned=pinned, year_policy=policy)


def _q(**fields: object) -> FactorQuery:
    from dataclasses import replace

    return replace(GRID, **fields)  # type: ignore[arg-type]


def test_query_datasets_limit_the_search_to_those_datasets() -> None:
    lib = _library(_ef(A, "a", "0.5703", region="CN"), _ef(B, "b", "0.5366", region="CN"))
    resolution = lib.resolve(_q(region="CN", datasets=("series-b",)))
    assert resolution.factor.row_id == "b"
    assert resolution.rejected == ()


def test_pinned_datasets_apply_when_the_query_names_none() -> None:
    lib = _library(
        _ef(A, "a", "0.5703", region="CN"), _ef(B, "b", "0.5366", region="CN"), pinned=("series-a",)
    )
    assert lib.resolve(_q(region="CN")).factor.row_id == "a"


def test_gas_must_match_exactly() -> None:
    lib = _library(_ef(A, "a", "0.5703", gas="CO2e"))
    with pytest.raises(FactorNotFound):
        lib.resolve(_q())


def test_named_variant_rejects_other_variants() -> None:
    lib = _library(_ef(A, "loc", "0.5366", variant="location"), _ef(A, "fos", "0.8325", variant="fossil"))
    resolution = lib.resolve(_q(variant="fossil"))
    assert resolution.factor.row_id == "fos"
    assert [r.reason for r in resolution.rejected] == ["variant location is not fossil"]


def test_open_variant_published_several_ways_is_refused() -> None:
    lib = _library(_ef(A, "rf", "0.2", variant="with_rf"), _ef(A, "no", "0.1", variant="without_rf"))
    with pytest.raises(FactorNotFound, match="variant not given"):
        lib.resolve(_q())


def test_exact_region_beats_country_and_country_beats_global() -> None:
    lib = _library(
        _ef(A, "global", "0.9"),
        _ef(A, "cn", "0.5366", region="CN"),
        _ef(A, "south", "0.3869", region="CN-GRID-SOUTH"),
    )
    assert lib.resolve(_q(region="CN-GRID-SOUTH")).factor.row_id == "south"
    assert lib.resolve(_q(region="CN-HI")).factor.row_id == "cn"
    assert lib.resolve(_q(region="GB")).factor.row_id == "global"


def test_other_regions_are_rejected() -> None:
    lib = _library(_ef(A, "hebei", "0.7252", region="CN-HE"), _ef(A, "cn", "0.5366", region="CN"))
    resolution = lib.resolve(_q(region="CN-HI"))
    assert resolution.factor.row_id == "cn"
    assert resolution.rejected[0].reason == "region CN-HE does not cover CN-HI"


def test_prescribed_reporting_years_win() -> None:
    lib = _library(
        _ef(A, "a2021", "0.5810", region="CN", applies=(2021, 2021)),
        _ef(A, "a2023", "0.5703", region="CN", year=2022, applies=(2023, 2025)),
    )
    resolution = lib.resolve(_q(region="CN", year=2024))
    assert resolution.factor.row_id == "a2023"
    assert resolution.rule.startswith("region=exact;year=applies")


SERIES_A = (
    _ef(A, "a2019", "0.6101", region="CN", applies=(2019, 2020)),
    _ef(A, "a2021", "0.5810", region="CN", applies=(2021, 2021)),
    _ef(A, "a2023", "0.5703", region="CN", year=2022, applies=(2023, 2025)),
)


def test_nearest_earlier_policy_uses_the_latest_earlier_reporting_year_and_says_so() -> None:
    lib = _library(*SERIES_A, policy=YearPolicy.NEAREST_EARLIER)
    resolution = lib.resolve(_q(region="CN", year=2022))
    assert resolution.factor.row_id == "a2021"
    reasons = {r.factor.row_id: r.reason for r in resolution.rejected}
    assert reasons["a2023"] == "prescribed for later reporting years (2023-2025), not 2022"
    assert reasons["a2019"].startswith("older than")
    assert "year=nearest-earlier" in resolution.rule
    assert resolution.fallback == (
        "no factor in scope applies to reporting year 2022; series-a@1#a2021 (for reporting years "
        "2021) used instead: the region's year policy is nearest-earlier"
    )


def test_strict_policy_uses_no_factor_prescribed_for_other_reporting_years() -> None:
    lib = _library(*SERIES_A)
    with pytest.raises(FactorNotFound) as caught:
        lib.resolve(_q(region="CN", year=2022))
    reasons = {i.location[1]: i.reason for i in caught.value.issues}
    assert reasons["series-a@1#a2021"] == (
        "prescribed for reporting years 2021, not 2022; the region's year policy is strict "
        "(nearest-earlier would use it)"
    )
    assert reasons["series-a@1#a2023"] == "prescribed for later reporting years (2023-2025), not 2022"
    assert "prescribed for reporting years 2021, not 2022" in caught.value.detail


def test_a_factor_applying_to_the_year_needs_no_fallback() -> None:
    resolution = _library(*SERIES_A).resolve(_q(region="CN", year=2024))
    assert resolution.factor.row_id == "a2023"
    assert resolution.fallback == ""


def test_later_year_is_never_used_under_either_policy() -> None:
    for policy in YearPolicy:
        lib = _library(_ef(A, "a2023", "0.5703", region="CN", applies=(2023, 2025)), policy=policy)
        with pytest.raises(FactorNotFound) as caught:
            lib.resolve(_q(region="CN", year=2022))
        assert "prescribed for later reporting years (2023-2025), not 2022" in caught.value.detail


def test_latest_data_year_not_after_query_year_is_used() -> None:
    lib = _library(_ef(B, "y2021", "0.5568", year=2021), _ef(B, "y2022", "0.5366", year=2022))
    assert lib.resolve(_q(year=2024)).factor.row_id == "y2022"
    assert lib.resolve(_q(year=2021)).factor.row_id == "y2021"


def test_factor_published_for_a_later_year_is_never_used() -> None:
    lib = _library(_ef(B, "y2023", "0.5306", year=2023))
    with pytest.raises(FactorNotFound) as caught:
        lib.resolve(_q(year=2022))
    assert "published for a later year" in caught.value.issues[0].reason


def test_timeless_factor_comes_after_dated_ones() -> None:
    lib = _library(_ef(A, "timeless", "0.6"), _ef(A, "dated", "0.5", year=2020))
    resolution = lib.resolve(_q(year=2024))
    assert resolution.factor.row_id == "dated"
    assert resolution.rejected[0].reason.startswith("timeless")


def test_exact_sector_beats_blank_sector() -> None:
    lib = _library(_ef(A, "all", "1"), _ef(A, "energy", "3", sector="energy_industries"))
    assert lib.resolve(_q(sector="energy_industries")).factor.row_id == "energy"
    assert lib.resolve(_q(sector="road_transport")).factor.row_id == "all"


def test_open_sector_published_by_sector_is_refused() -> None:
    lib = _library(
        _ef(A, "energy", "1", sector="energy_industries"),
        _ef(A, "homes", "300", sector="residential_agriculture"),
    )
    with pytest.raises(FactorNotFound, match="sector not given"):
        lib.resolve(_q())


def test_erratum_supersedes_the_earlier_version() -> None:
    old = _dataset("desnz", "2024-v1.0")
    new = _dataset("desnz", "2024-v1.1", supersedes="desnz@2024-v1.0")
    lib = _library(_ef(old, "r", "0.25"), _ef(new, "r", "0.26"))
    resolution = lib.resolve(_q(datasets=("desnz",)))
    assert resolution.factor.dataset.ref == "desnz@2024-v1.1"
    assert resolution.rejected[0].reason == "superseded by desnz@2024-v1.1"


def test_dataset_priority_breaks_a_tie() -> None:
    lib = _library(_ef(A, "a", "0.5703", region="CN"), _ef(B, "b", "0.5366", region="CN"))
    resolution = lib.resolve(_q(region="CN", datasets=("series-b", "series-a")))
    assert resolution.factor.row_id == "b"
    assert resolution.rule.endswith("by=dataset-priority")


def test_tie_without_priority_is_broken_by_dataset_ref_and_recorded() -> None:
    lib = _library(_ef(B, "b", "0.5366", region="CN"), _ef(A, "a", "0.5703", region="CN"))
    resolution = lib.resolve(_q(region="CN"))
    assert resolution.factor.dataset.ref == "series-a@1"
    assert resolution.rule.endswith("by=tie-order")
    assert resolution.rejected[0].reason.startswith("tie broken")


def test_not_found_detail_names_what_was_looked_for() -> None:
    lib = _library(_ef(A, "a", "0.5703", region="CN", year=2023))
    with pytest.raises(FactorNotFound) as caught:
        lib.resolve(_q(region="CN-HI", year=2020, datasets=("series-a",)))
    detail = caught.value.detail
    for part in ("ef", "electricity.grid", "gas CO2", "region CN-HI", "year 2020", "series-a@1"):
        assert part in detail
    assert caught.value.issues[0].location == ("candidates", "series-a@1#a")


def test_unknown_dataset_in_query_is_named() -> None:
    lib = _library(_ef(A, "a", "0.5703"))
    with pytest.raises(FactorNotFound, match="no-such-set not loaded"):
        lib.resolve(_q(datasets=("series-a", "no-such-set")))


@settings(max_examples=60, deadline=None)
@given(
    years=st.lists(st.one_of(st.none(), st.integers(2000, 2030)), min_size=1, max_size=6),
    query_year=st.integers(2000, 2030),
)
def test_resolve_never_returns_a_factor_for_a_later_year(years: list[int | None], query_year: int) -> None:
    lib = _library(*(_ef(A, f"r{i}", "1", year=y) for i, y in enumerate(years)))
    try:
        factor = lib.resolve(_q(year=query_year)).factor
    except FactorNotFound:
        assert all(y is not None and y > query_year for y in years)
        return
    assert factor.year is None or factor.year <= query_year


def test_loading_the_same_dataset_version_twice_is_refused() -> None:
    factor = _ef(A, "a", "1")
    with pytest.raises(InvalidInput, match="loaded twice"):
        FactorLibrary([(A, [factor]), (A, [factor])])


# -- against the shipped data ---------------------------------------------------------------

LIBRARY = FactorLibrary(builtin_datasets())


def test_grid_series_a_never_falls_through_to_series_b() -> None:
    query = _q(region="CN", year=2030, datasets=("cn-mee-grid-reporting",))
    with pytest.raises(FactorNotFound) as caught:
        LIBRARY.resolve(query)
    assert "cn-mee-nbs-electricity-co2" not in caught.value.detail
    library = FactorLibrary(builtin_datasets(), year_policy=YearPolicy.NEAREST_EARLIER)
    resolution = library.resolve(query)
    assert resolution.factor.dataset.id == "cn-mee-grid-reporting"
    assert all(r.factor.dataset.id == "cn-mee-grid-reporting" for r in resolution.rejected)


def test_grid_series_b_never_falls_through_to_series_a() -> None:
    query = _q(region="CN", year=2020, variant="location", datasets=("cn-mee-nbs-electricity-co2",))
    with pytest.raises(FactorNotFound) as caught:
        LIBRARY.resolve(query)
    assert "cn-mee-grid-reporting" not in caught.value.detail


def test_series_a_prescribes_0_5703_for_2024_reports() -> None:
    resolution = LIBRARY.resolve(_q(region="CN", year=2024, datasets=("cn-mee-grid-reporting",)))
    assert resolution.factor.value == Decimal("0.5703")


def test_regional_grid_factor_for_2023() -> None:
    query = _q(region="CN-GRID-SOUTH", year=2024, datasets=("cn-mee-nbs-electricity-co2",))
    assert LIBRARY.resolve(query).factor.value == Decimal("0.4042")


def test_blend_components_resolve_together() -> None:
    query = FactorQuery(Parameter.MASS_FRACTION, "refrigerant.R-404A")
    resolutions = LIBRARY.resolve_all(query)
    assert {r.factor.gas: r.factor.value for r in resolutions} == {
        "HFC-125": Decimal(44),
        "HFC-143a": Decimal(52),
        "HFC-134a": Decimal(4),
    }


def test_ar6_methane_default_is_the_undistinguished_value() -> None:
    query = FactorQuery(Parameter.GWP, "gwp", gas="CH4", variant="AR6")
    assert LIBRARY.resolve(query).factor.value == Decimal("27.9")


def test_search_filters_by_text_prefix_and_dataset() -> None:
    found = LIBRARY.search("hainan", activity_prefix="electricity.")
    assert found == []
    hotels = LIBRARY.search(activity_prefix="hotel.", dataset="desnz-ghg-conversion-factors")
    assert "hotel.CN" in {f.activity for f in hotels}


def test_datasets_are_listed_by_ref() -> None:
    refs = [d.ref for d in LIBRARY.datasets()]
    assert refs == sorted(refs)
    assert "ipcc-gwp100@2021" in refs
