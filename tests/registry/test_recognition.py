"""The mutual-recognition table: shipped rows cited, lookups most-specific-first, unknown = not
assessed, a region's own table by path or environment variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from carbonbridge.kernel.errors import InvalidInput
from carbonbridge.registry.cadt.recognition import (
    COLUMNS,
    CreditType,
    Recognition,
    load_table,
    parse_table,
    recognise,
    summary,
)

MANGROVE = CreditType("CCER", "CCER-14-002-V01@1.0", "removal")
HEADER = ",".join(COLUMNS) + "\n"


def test_shipped_table_cites_every_statement() -> None:
    table = load_table()
    assert table
    assert all(r.assessment.citation for r in table if r.assessment.status is not Recognition.NOT_ASSESSED)


def test_ccer_mangrove_credit() -> None:
    """CCER-14-002-V01 is a CCER methodology (MEE, Oct 2023); CCER offsets national ETS
    obligations up to 5 % (MEE Order No. 19 art. 29); ICVCM and Article 6 are not assessed."""
    result = recognise(MANGROVE, load_table())
    assert summary(result) == {
        "corsia_2021_2023": "conditional",
        "icvcm_ccp": "not_assessed",
        "china_ccer": "meets",
        "china_ets_offset": "conditional",
        "article6_authorised": "not_assessed",
    }
    assert "art. 29" in result["china_ets_offset"].citation
    assert result["china_ets_offset"].condition_zh == "抵销比例不超过应清缴配额的5%"


def test_unknown_standard_is_not_assessed() -> None:
    result = recognise(CreditType("CB-LOCAL", "SOLAR-IRRIGATION@1.0", "reduction"), load_table())
    assert {a.status for a in result.values()} == {Recognition.NOT_ASSESSED}


def test_named_methodology_wins_over_wildcard() -> None:
    table = parse_table(
        HEADER
        + "VCS,*,*,icvcm_ccp,conditional,label per methodology,,src A\n"
        + "VCS,VM0033,*,icvcm_ccp,does_not_meet,,,src B\n"
    )
    assert recognise(CreditType("VCS", "VM0033@2.1", "removal"), table)["icvcm_ccp"].citation == "src B"
    assert recognise(CreditType("VCS", "VM0047", "removal"), table)["icvcm_ccp"].citation == "src A"


def test_region_overrides_by_path_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own = tmp_path / "ours.csv"
    own.write_text(HEADER + "CCER,*,*,icvcm_ccp,does_not_meet,,,regional decision 2026-1\n", "utf-8")
    assert recognise(MANGROVE, load_table(own))["icvcm_ccp"].status is Recognition.DOES_NOT_MEET
    monkeypatch.setenv("CARBONBRIDGE_RECOGNITION_CSV", str(own))
    assert recognise(MANGROVE, load_table())["china_ccer"].status is Recognition.NOT_ASSESSED


@pytest.mark.parametrize(
    ("row", "where"),
    [
        ("CCER,*,*,icvcm_ccp,meets,,,\n", "citation"),
        ("CCER,*,*,icvcm_ccp,maybe,,,src\n", "status"),
        ("CCER,*,tree,icvcm_ccp,meets,,,src\n", "unit_type"),
        ("CCER,*,*,icvcm_ccp,conditional,,,src\n", "condition_en"),
    ],
)
def test_uncited_or_malformed_rows_are_refused(row: str, where: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_table(HEADER + row)
    assert err.value.issues[0].location == ("rows", 2, where)
