"""A small mixed organisation (the test hotel) for the framework and reconciliation tests.

Figures per record, AR5, 2024 (derivations in test_engine.py):

| record | IPCC / location / default | market | MEE |
| --- | --- | --- | --- |
| gas 100,000 Nm3 | CO2 218,402.91 + CH4 545.034 + N2O 103.16715 | | CO2 216,218.8809 |
| mobile diesel 1 t | CO2 3,186.3 + CH4 4.6956 + N2O 44.4405 | | CO2 3,095.909637 |
| grid 1,000 MWh South | 404,200 | 404,200 | 570,300 |
| grid 200 MWh with GEC | 80,840 | 0 | 114,060 |
| R-410A 10 kg | 19,235 (HFCs) | | out of boundary |
| heat 100 GJ | 11,000 | 11,000 | 11,000 |
| long-haul business 1,000 pkm | 339.4 (CO2e) | | out of boundary |
| hotel CN 2 nights | 107 (CO2e) | | out of boundary |
"""

from __future__ import annotations

from carbonbridge.accounting.engine import calculate_all
from carbonbridge.accounting.model import ActivityRecord, RecordEmissions
from carbonbridge.factors.model import GwpSet
from carbonbridge.factors.resolution import FactorLibrary
from tests.accounting.conftest import FACILITY, record


def hotel_records() -> list[ActivityRecord]:
    return [
        record("fuel.natural_gas", "100000", "Nm3", rid="gas"),
        record("mobile.diesel", "1", "t", rid="van"),
        record("electricity.grid", "1000", "MWh", rid="grid"),
        record("electricity.grid", "200", "MWh", rid="gec", instrument="GEC"),
        record("refrigerant.R-410A", "10", "kg", rid="ac"),
        record("heat.purchased", "100", "GJ", rid="heat"),
        record("travel.flight.long_haul.business", "1000", "passenger_km", rid="flight"),
        record("hotel.CN", "2", "room_night", rid="hotel"),
    ]


def hotel_emissions(library: FactorLibrary, gwp: GwpSet = GwpSet.AR5) -> tuple[RecordEmissions, ...]:
    return calculate_all(hotel_records(), library, gwp, sectors={FACILITY.id: "commercial_institutional"})
