from decimal import Decimal

from carbonbridge.kernel.canonical import canonical_json


def test_keys_sorted_and_decimals_as_strings() -> None:
    assert canonical_json({"b": Decimal("1.50"), "a": [1, "x"]}) == b'{"a":[1,"x"],"b":"1.50"}'


def test_rfc8785_number_and_unicode_serialisation() -> None:
    """RFC 8785 section 3.2.2.3: integers without exponent; non-ASCII kept as UTF-8."""
    assert canonical_json({"n": 1e21, "s": "碳"}) == '{"n":1e+21,"s":"碳"}'.encode()
