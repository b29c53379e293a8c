"""Accounting domain types: who reports, what they report, and (below) what it yields."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class ActivityCategory(StrEnum):
    """What kind of activity a record is, as the reporter declares it (template column
    ``category``). The framework views classify from this and the activity code."""

    STATIONARY_COMBUSTION = "stationary_combustion"
    MOBILE_COMBUSTION = "mobile_combustion"
    PURCHASED_ELECTRICITY = "purchased_electricity"
    PURCHASED_HEAT = "purchased_heat"
    REFRIGERANT = "refrigerant"
    PROCESS = "process"
    BUSINESS_TRAVEL = "business_travel"
    WASTE = "waste"


class OrganisationKind(StrEnum):
    """Reporting organisation type (drives the demo region and the GPC sub-sector)."""

    HOTEL = "hotel"
    HOSPITAL = "hospital"
    WATER_UTILITY = "water_utility"
    CEMENT = "cement"
    FARM = "farm"
    BUS_COMPANY = "bus_company"
    GOVERNMENT = "government"
    MANUFACTURING = "manufacturing"
    COMMERCIAL = "commercial"
    OTHER = "other"


@dataclass(frozen=True)
class Organisation:
    """A reporting entity (enterprise, public body)."""

    id: str
    name_en: str
    name_zh: str
    kind: OrganisationKind
    #: ISO 3166-2 subdivision of its seat, e.g. ``CN-HI`` (Hainan)
    region: str
    #: unified social credit code (统一社会信用代码) where known
    credit_code: str | None = None


@dataclass(frozen=True)
class Facility:
    """A site of an organisation; emissions are computed per facility."""

    id: str
    organisation_id: str
    name: str
    #: ISO 3166-2 subdivision, e.g. ``CN-HI``
    region: str
    #: electricity grid region code used for grid factors, e.g. ``CN-GRID-SOUTH``
    grid_region: str


@dataclass(frozen=True)
class ActivityRecord:
    """One row of activity data: a quantity of one activity at one facility over one period.

    ``instrument`` marks electricity covered by a contractual instrument (e.g. ``GEC`` for a China
    green electricity certificate, ``PPA`` for a direct green power purchase); the market-based
    Scope 2 method applies the instrument's factor to it, the location-based method ignores it
    (GHG Protocol Scope 2 Guidance, 2015, ch. 6-7).
    """

    id: str
    organisation_id: str
    facility_id: str
    period_start: date
    period_end: date
    category: ActivityCategory
    activity: str
    quantity: Decimal
    unit: str
    region: str
    grid_region: str | None = None
    instrument: str | None = None
    note: str = ""

    @property
    def year(self) -> int:
        """Reporting year: the year the period ends in (periods may not span years: validated)."""
        return self.period_end.year
