"""Every error type has a unique stable code, an HTTP status, bilingual titles and a docs section."""

from __future__ import annotations

import re
from pathlib import Path

from carbonbridge.kernel.errors import all_error_types
from carbonbridge.platform.migrate import STORE_CONTEXTS
from carbonbridge.platform.optional import optional_module

DOCS = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def _errors() -> list[type]:
    for context in (*STORE_CONTEXTS, "kernel", "platform"):
        optional_module(f"carbonbridge.{context}.errors")
    return all_error_types()


def test_codes_are_unique_and_well_formed() -> None:
    codes = [e.code for e in _errors()]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[a-z][a-z0-9-]+", c) for c in codes)


def test_every_error_has_status_and_both_titles() -> None:
    for error in _errors():
        assert 400 <= error.status <= 599, error
        assert error.title_en
        assert re.search(r"[\u4e00-\u9fff]", error.title_zh), error


def test_every_error_code_has_a_docs_section() -> None:
    documented = set(re.findall(r"^## ([a-z0-9-]+)$", DOCS.read_text(encoding="utf-8"), re.MULTILINE))
    missing = {e.code for e in _errors()} - documented
    assert not missing, f"add to docs/errors.md: {sorted(missing)}"
