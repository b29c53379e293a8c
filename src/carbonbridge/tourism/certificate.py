"""The compensation certificate of a bill: what it states and nothing more (ISO 14068-1:2023).

A certificate is a view of a compensated bill, not a new record: the quantified emissions (grams,
the methods and the factor sources that produced them, with the factors still to be verified
named), the retirements the bill's grams were allocated from (project, serials, grams) and the
log entries whose receipts prove those allocations. It claims compensation of the quantified
emissions by the named retirements; it does not claim that the trip, the visitor or the
destination is carbon neutral (ISO 14068-1:2023 §§ 9-10 reserve that for a subject's own
carbon-neutrality management; the bill is a quantification and an offsetting record).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from carbonbridge.kernel.errors import FieldIssue, NotFound
from carbonbridge.tourism.model import Allocation, BillStatus, StoredBill

#: the standard whose wording the certificate follows
CLAIM_STANDARD = "ISO 14068-1:2023"


@dataclass(frozen=True)
class FactorSource:
    """A factor a bill's lines used, once per key, and whether it is confirmed against its source."""

    key: str
    source: str
    confirmed: bool


@dataclass(frozen=True)
class Certificate:
    """What the certificate of one compensated bill states."""

    bill: StoredBill
    methods: tuple[str, ...]
    sources: tuple[FactorSource, ...]
    allocations: tuple[Allocation, ...]

    @property
    def id(self) -> str:
        """A bill is compensated once, so its certificate shares its id."""
        return self.bill.id

    @property
    def to_verify(self) -> tuple[FactorSource, ...]:
        """Factors still marked ``verify``: the certificate names them."""
        return tuple(s for s in self.sources if not s.confirmed)

    @property
    def projects(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.project_id for a in self.allocations))

    @property
    def serials(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s for a in self.allocations for s in a.serials))

    @property
    def log_indexes(self) -> tuple[int, ...]:
        return tuple(a.log_index for a in self.allocations)


def certificate_of(bill: StoredBill) -> Certificate:
    """The certificate of ``bill``; a bill not yet compensated has none (404, naming why)."""
    if bill.status is not BillStatus.COMPENSATED or not bill.allocations:
        raise NotFound(
            f"bill {bill.id} is not compensated yet; its certificate is issued once it is",
            [FieldIssue(("bill_id",), bill.id, "a certificate exists once the bill is compensated")],
        )
    methods: dict[str, None] = {}
    sources: dict[str, FactorSource] = {}
    for line in bill.lines:
        methods[str(line["method"])] = None
        factors = line.get("factors", [])
        for f in factors if isinstance(factors, list) else []:
            key = str(f["key"])
            if key not in sources:
                sources[key] = FactorSource(key, str(f["source"]), f["confidence"] == "confirmed")
    return Certificate(bill, tuple(methods), tuple(sources.values()), bill.allocations)


@dataclass(frozen=True)
class ReceiptCheck:
    """One allocation checked against the log: the log's receipt for its entry (issued now,
    against the latest checkpoint) and whether the entry it carries states this allocation
    (bill, project, serials, grams)."""

    allocation: Allocation
    receipt: str
    ok: bool


def receipt_entry(receipt: str) -> bytes | None:
    """The logged entry a c2sp.org/tlog-proof receipt carries in its ``extra`` line, if any
    (unauthenticated by itself: the receipt's inclusion proof is what binds it to the log)."""
    head = receipt.partition("\n\n")[0].split("\n")
    if len(head) < 2 or not head[1].startswith("extra "):
        return None
    try:
        return base64.b64decode(head[1][len("extra ") :], validate=True)
    except (binascii.Error, ValueError):
        return None


def entry_states(allocation: Allocation, entry: bytes | None) -> bool:
    """Whether a log entry is the allocation event of ``allocation``: same id, bill, project,
    serials and grams (``service.ALLOCATION_EVENT``)."""
    if entry is None:
        return False
    try:
        logged = json.loads(entry)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False
    event = logged.get("event") if isinstance(logged, dict) else None
    if not isinstance(event, dict) or logged.get("kind") != "tourism.allocation":
        return False
    return (
        event.get("allocation") == allocation.id
        and event.get("bill") == allocation.bill_id
        and event.get("project") == allocation.project_id
        and event.get("serials") == list(allocation.serials)
        and event.get("grams") == allocation.grams
    )


def check_receipt(allocation: Allocation, receipt: str) -> ReceiptCheck:
    """Whether the log's ``receipt`` for ``allocation``'s entry carries that allocation."""
    return ReceiptCheck(allocation, receipt, entry_states(allocation, receipt_entry(receipt)))
