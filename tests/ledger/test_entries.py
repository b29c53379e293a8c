"""A log entry in words from its public facts (``ledger/entries.py``)."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from carbonbridge.kernel.canonical import canonical_json
from carbonbridge.ledger.entries import all_messages, describe, parse_entry, project_code

CATALOG = Path(__file__).resolve().parents[2] / "src/carbonbridge/ledger/locale/zh/LC_MESSAGES/entries.po"
AT = "2026-01-05T08:00:00+00:00"
PROJECT = "prj_1"


def public(index: int, kind: str, event: dict[str, object]) -> bytes:
    return canonical_json({"at": AT, "event": event, "kind": kind})


DRAFTED = public(
    0,
    "registry.project_drafted",
    {
        "project_id": PROJECT,
        "kind": "project_drafted",
        "facts": {"code": "MG001", "name_en": "Mangrove restoration", "name_zh": "红树林修复"},
    },
)


def issuance(quantity: int, buffer: int) -> bytes:
    facts = {"quantity": quantity, "buffer": buffer, "vintage": 2024}
    facts |= {"serial_start": 1, "serial_end": quantity}
    return public(1, "registry.issuance", {"project_id": PROJECT, "kind": "issuance", "facts": facts})


def test_issuance_names_tonnes_and_the_project_code_the_log_published() -> None:
    codes = dict(filter(None, [project_code(parse_entry(0, DRAFTED))]))
    said = describe(parse_entry(1, issuance(100, 0)), "en", codes)
    assert said.message.format(**said.values) == "Issuance of 100 t to MG001 (vintage 2024, serials 1-100)"


def test_issuance_with_a_buffer_says_how_much_went_to_the_pool() -> None:
    said = describe(parse_entry(1, issuance(625, 125)), "en", {PROJECT: "MG001"})
    assert said.message.format(**said.values) == (
        "Issuance of 625 t to MG001 (vintage 2024, serials 1-625, of which 125 t to the buffer pool)"
    )


def test_retirement_counts_the_retired_blocks_when_no_quantity_is_stated() -> None:
    event = {
        "project_id": PROJECT,
        "details": {"beneficiary": "Hotel guests"},
        "produced": [
            ["b1", PROJECT, 2024, "acc_r", "retired", 1, 120],
            ["b2", PROJECT, 2024, "acc_h", "held", 121, 300],
        ],
    }
    said = describe(parse_entry(2, public(2, "registry.retirement", event)), "en", {PROJECT: "MG001"})
    assert said.message.format(**said.values) == "Retirement of 120 t of MG001 for Hotel guests"


def test_names_follow_the_page_language() -> None:
    entry = parse_entry(0, DRAFTED)
    zh, en = describe(entry, "zh", {}), describe(entry, "en", {})
    assert zh.values["name"] == "红树林修复"
    assert en.message.format(**en.values) == "Project MG001 drafted: Mangrove restoration"


def test_monitoring_report_net_figure_is_rounded_to_a_hundredth_half_even() -> None:
    event = {"project_id": PROJECT, "facts": {"net_t": "625.6650000001", "vintage": 2024}}
    said = describe(parse_entry(3, public(3, "registry.report_submitted", event)), "en", {PROJECT: "MG001"})
    assert said.values["net"] == "625.67"
    event = {"project_id": PROJECT, "facts": {"net_t": "1625.665", "vintage": 2024}}
    said = describe(parse_entry(3, public(3, "registry.report_submitted", event)), "en", {PROJECT: "MG001"})
    assert said.values["net"] == "1,625.66"


def test_a_private_entry_says_only_what_it_commits_to() -> None:
    entry = parse_entry(4, canonical_json({"commitment": "ab" * 32, "kind": "registry.transfer"}))
    assert entry.private
    assert entry.at is None
    said = describe(entry, "en", {})
    assert said.message == "Credits transferred (private: only a salted commitment is logged)"


def test_an_unknown_kind_is_named() -> None:
    said = describe(parse_entry(5, public(5, "vpp.dispatch", {"x": 1})), "en", {})
    assert said.message.format(**said.values) == "Event vpp.dispatch"


def test_every_message_has_a_chinese_translation_with_the_same_fields() -> None:
    with CATALOG.open("rb") as handle:
        zh = {m.id: m.string for m in read_po(handle, locale="zh") if m.id}
    for message in all_messages():
        assert zh.get(message), message
        assert set(re.findall(r"{(\w+)}", zh[message])) == set(re.findall(r"{(\w+)}", message)), message
