"""Coverage of the regional figures: who they are summed from, and what "per capita" means here.

The regional inventory is the sum of the *reporting organisations'* records (``regional.py``),
not the territory's emissions: households, unregistered businesses, residents' own transport and
land use are not in it. Every regional figure is therefore shown with its coverage: how many of
the registered organisations reported records for the year, how many of those have a finalised
(and a verified) inventory, and how many records are left out because the engine cannot compute
them. The counts are aggregates over organisations; they disclose no organisation's figures (the
figures themselves follow the disclosure rule, ``disclosure.py``).

The region's *published* totals (its statistical yearbook's energy use or a provincial
inventory's emissions) are not held by the platform, so no share of them is given
(``share_of_published`` stays ``None``); docs/accounting.md says how coverage is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from carbonbridge.kernel.exact import quantize

#: what the per-capita and per-GDP figures mean here (zh in ``accounting/locale``)
PER_CAPITA_NOTE = (
    "Per capita and per 10^4 CNY of GDP: the IPCC territorial total of the reporting organisations "
    "only, divided by the region's resident population and GDP from its statistics. Households, "
    "organisations that do not report, and residents' own transport are not in the total, so these "
    "figures understate the region's per-capita emissions and are not comparable with national "
    "per-capita figures."
)


@dataclass(frozen=True)
class Coverage:
    """Who a year's regional figures are summed from."""

    year: int
    #: organisations registered on the platform (reporting entities of the territory)
    registered: int
    #: organisations with at least one current activity record in the year
    reporting: int
    #: reporting organisations whose year's inventory is finalised / has a verification statement
    finalised: int
    verified: int
    #: current activity records of the year, and those every figure excludes (not computable)
    records: int
    excluded_records: int
    #: the reporting organisations' share of the region's published total, when one is held
    share_of_published: Decimal | None = None

    @property
    def reporting_percent(self) -> Decimal | None:
        """Reporting organisations as a percentage of the registered ones (0.1 %, half-even)."""
        if self.registered <= 0:
            return None
        return quantize(Decimal(100 * self.reporting) / Decimal(self.registered), 1)
