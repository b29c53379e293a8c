"""IPCC 2006 Vol.2 rows upgraded to confirmed keep the printed values."""

from decimal import Decimal
from importlib import resources

from carbonbridge.factors.datasets import load_dataset_dir


def test_ipcc_2006_table_1_2_and_1_4_confirmed_rows():
    """Vol.2 Ch.1 Table 1.2 (NCV, TJ/Gg) and Table 1.4 (CO2, kg/TJ): diesel 43.0 / 74,100;
    natural gas 48.0 / 56,100."""
    path = resources.files("carbonbridge.factors") / "data" / "ipcc-2006-v2-energy" / "2006"
    _, factors = load_dataset_dir(path)
    rows = {f.row_id: f for f in factors}
    expected = {
        "T1.2-diesel-ncv": "43.0",
        "T1.4-diesel-co2": "74100",
        "T1.2-natural_gas-ncv": "48.0",
        "T1.4-natural_gas-co2": "56100",
    }
    for row_id, value in expected.items():
        assert Decimal(str(rows[row_id].value)) == Decimal(value)
        assert rows[row_id].confidence == "confirmed"
