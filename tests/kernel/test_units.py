from decimal import Decimal

import pytest

from carbonbridge.kernel.errors import UnitMismatch
from carbonbridge.kernel.units import conversion_factor, is_compatible, parse_unit


def test_energy_conversion_is_exact() -> None:
    assert conversion_factor("MWh", "kWh") == Decimal(1000)
    assert conversion_factor("GJ", "TJ") == Decimal("0.001")


def test_normal_cubic_metre_is_not_a_cubic_metre() -> None:
    with pytest.raises(UnitMismatch, match="cannot convert Nm3 to m"):
        conversion_factor("Nm3", "m^3")


def test_unknown_unit_names_the_text() -> None:
    with pytest.raises(UnitMismatch, match="unknown unit 'furlongs_of_gas'"):
        conversion_factor("furlongs_of_gas", "kg")


def test_mass_is_not_volume() -> None:
    assert not is_compatible("L", "kg")
    assert is_compatible("L", "m^3")


def test_scaled_publisher_unit_parses() -> None:
    """China MEE prints natural-gas NCV per 10^4 Nm3 (e.g. 389.31 GJ/10^4 Nm3)."""
    assert conversion_factor("GJ/(10^4 Nm3)", "GJ/Nm3") == Decimal("0.0001")


@pytest.mark.parametrize("text", ["1/0", "((", "2**2**2**2**2**2**2", "m3/", "["])
def test_malformed_unit_expressions_are_unit_mismatch(text: str) -> None:
    """Whatever a user types as a unit, the answer is UnitMismatch naming it, never a crash."""
    with pytest.raises(UnitMismatch):
        parse_unit(text)


def test_m3_is_a_cubic_metre() -> None:
    assert conversion_factor("m3", "L") == 1000


def test_the_cached_registry_converts_exactly_like_a_fresh_one() -> None:
    """Registries built as ``kernel.units.registry`` builds them, the second from pint's
    definitions cache the first one wrote, convert exactly in ``Decimal`` like one built without
    the cache (a cache that turned magnitudes into floats would show here). Built apart from the
    module's own registry: quantities of two registries cannot be mixed, and the module's caches
    hold quantities of its one registry."""
    import pint

    def build(**cache: str) -> pint.UnitRegistry:  # type: ignore[type-arg]
        return pint.UnitRegistry(non_int_type=Decimal, autoconvert_offset_to_baseunit=True, **cache)

    for reg in (build(cache_folder=":auto:"), build(cache_folder=":auto:"), build()):
        q = reg.Quantity(Decimal("1.5"), "GJ").to("kWh")
        assert isinstance(q.magnitude, Decimal)
        assert q.magnitude == Decimal("1.5") * Decimal(1000) / Decimal("3.6")
