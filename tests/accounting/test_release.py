"""The release use case on each backend: who gets the masked copy, the settings that set the rules,
and the documented shape of the response."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from carbonbridge.accounting import publication, service
from carbonbridge.accounting.disclosure import DisclosureRules, Withheld
from carbonbridge.accounting.model import OrganisationKind
from carbonbridge.accounting.service import release
from carbonbridge.demo.region import generate_region
from carbonbridge.demo.service.load import LOADER
from carbonbridge.factors.model import GwpSet
from carbonbridge.kernel.errors import Forbidden, Unauthenticated
from carbonbridge.platform import i18n
from carbonbridge.platform.identity import PUBLIC, Principal, Role
from carbonbridge.platform.settings import Settings

REGION = "CN-HI"


@pytest.fixture
def small_region(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The demo's cement plant and four hotels, 2025 records only."""
    demo = generate_region(2024)
    chosen = [o for o in demo.organisations if o.kind is OrganisationKind.CEMENT]
    chosen += [o for o in demo.organisations if o.kind is OrganisationKind.HOTEL][:4]
    for org in chosen:
        facilities = [f for f in demo.facilities if f.organisation_id == org.id]
        service.register_organisation(sessions, LOADER, org, facilities, synthetic=True)
        records = [r for r in demo.records if r.organisation_id == org.id and r.year == 2025]
        service.submit_records(sessions, LOADER, org.id, records, source="test")
    return sessions


def _ippu(result: release.ReleaseResult) -> publication.ReleasedSector:
    return result.release.years[0].ipcc_sector("2")


@pytest.mark.parametrize("role", [Role.PUBLIC, Role.REPORTER, Role.VERIFIER, Role.INVESTOR])
def test_everyone_but_the_regulator_gets_the_masked_copy(
    small_region: sessionmaker[Session], role: Role
) -> None:
    who = PUBLIC if role is Role.PUBLIC else Principal("u1", "someone", role, "demo-org-001")
    result = release.regional_release(small_region, who, REGION, GwpSet.AR6, DisclosureRules())
    assert result.release.masked
    assert _ippu(result).by_gas["CO2"] is None
    assert _ippu(result).withheld["by_gas.CO2"] is Withheld.CONFIDENTIAL


@pytest.mark.parametrize("role", [Role.REGULATOR, Role.ADMIN])
def test_the_regulator_and_administrators_see_every_figure_and_why_it_is_withheld(
    small_region: sessionmaker[Session], role: Role
) -> None:
    who = Principal("u2", "office", role)
    result = release.regional_release(small_region, who, REGION, GwpSet.AR6, DisclosureRules())
    assert not result.release.masked
    assert _ippu(result).by_gas["CO2"] is not None
    assert _ippu(result).by_gas["CO2"] > 0  # type: ignore[operator]
    assert _ippu(result).withheld["by_gas.CO2"] is Withheld.THRESHOLD


def test_asking_for_every_figure_needs_the_regulator() -> None:
    release.require_unsuppressed(Principal("u2", "office", Role.REGULATOR))
    with pytest.raises(Unauthenticated):
        release.require_unsuppressed(PUBLIC)
    with pytest.raises(Forbidden):
        release.require_unsuppressed(Principal("u3", "clerk", Role.REPORTER, "demo-org-001"))


def test_the_settings_set_the_rules(small_region: sessionmaker[Session]) -> None:
    """Four hotels burn fuel (IPCC 1.A.4): published under the default threshold of 3 reporters,
    withheld when the installation asks for 5."""
    default = release.rules_of(Settings())
    assert default == DisclosureRules(min_reporters=3, dominance_n=1, dominance_k=Decimal(85))
    strict = release.rules_of(Settings(disclosure_min_reporters=5))
    published = release.regional_release(small_region, PUBLIC, REGION, GwpSet.AR6, default)
    withheld = release.regional_release(small_region, PUBLIC, REGION, GwpSet.AR6, strict)
    assert published.release.years[0].ipcc_sector("1.A.4").co2e_kg is not None
    assert withheld.release.years[0].ipcc_sector("1.A.4").co2e_kg is None


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CARBONBRIDGE_DISCLOSURE_MIN_REPORTERS", "0"),
        ("CARBONBRIDGE_DISCLOSURE_DOMINANCE_N", "0"),
        ("CARBONBRIDGE_DISCLOSURE_DOMINANCE_K", "100"),
        ("CARBONBRIDGE_DISCLOSURE_DOMINANCE_K", "eighty"),
        ("CARBONBRIDGE_DISCLOSURE_PROTECTION_PERCENT", "-1"),
    ],
)
def test_bad_disclosure_settings_are_refused_at_start_up(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert caught.value.errors()[0]["loc"] == (variable.removeprefix("CARBONBRIDGE_").lower(),)


def test_the_notes_and_marks_exist_in_chinese() -> None:
    messages = [
        publication.CONFIDENTIAL,
        publication.PUBLIC_NOTE,
        publication.REGULATOR_NOTE,
        publication.WITHHELD_FROM_PUBLIC,
        *publication.REASONS.values(),
    ]
    for message in messages:
        assert i18n.gettext("zh", message) != message
    assert i18n.gettext("zh", publication.CONFIDENTIAL) == "保密"


def test_openapi_documents_withheld_figures_as_null(app_client: Any) -> None:
    schemas = app_client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    year = schemas["RegionalYearOut"]["properties"]
    assert {"type": "null"} in year["ipcc_total_kg"]["anyOf"]
    assert "withheld" in schemas["RegionalYearOut"]["required"]
    assert "confidential" in year["withheld"]["description"]
    sector = schemas["SectorOut"]["properties"]
    assert {"type": "null"} in sector["co2e_kg"]["anyOf"]
    assert "disclosure" in schemas["RegionalOut"]["required"]
