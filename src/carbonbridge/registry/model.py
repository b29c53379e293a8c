"""The registry's domain types: accounts, unit states, serial blocks, projects, monitoring reports,
operations and what the use cases return.

Units are whole tonnes of CO2e (1 credit = 1 t) counted with Python ``int``; no quantity in the
registry is ever a float.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

#: the registry's own prefix in every serial number (see :mod:`carbonbridge.registry.serials`)
REGISTRY_PREFIX = "CB"

#: the id of the registry's single buffer pool account
BUFFER_POOL_ACCOUNT = "acc_buffer_pool"

#: Gold Standard's flat buffer share for removal projects, used when a calculation states none
#: (Gold Standard for the Global Goals, Land Use & Forests Activity Requirements v2.0: 20 %)
DEFAULT_BUFFER_SHARE = Decimal("0.20")


class UnitState(StrEnum):
    """Where a tonne stands. CAD Trust's unit statuses (held, retired, cancelled, buffer,
    exported, pending export, expired) plus ``planned``: ex-ante units that may be transferred but
    never retired."""

    PLANNED = "planned"
    HELD = "held"
    RETIRED = "retired"
    CANCELLED = "cancelled"
    BUFFER = "buffer"
    PENDING_EXPORT = "pending_export"
    EXPORTED = "exported"
    EXPIRED = "expired"


#: states whose units can move by transfer
TRANSFERABLE = frozenset({UnitState.HELD, UnitState.PLANNED})
#: states whose units can be retired (planned units never)
RETIRABLE = frozenset({UnitState.HELD})
#: states a unit never leaves
FINAL = frozenset({UnitState.RETIRED, UnitState.CANCELLED, UnitState.EXPORTED, UnitState.EXPIRED})


class AccountKind(StrEnum):
    """Each organisation has one account of each kind but ``buffer``; the registry has one
    buffer pool."""

    HOLDING = "holding"
    RETIREMENT = "retirement"
    CANCELLATION = "cancellation"
    BUFFER = "buffer"


#: the state a unit takes in each kind of account
STATE_OF_ACCOUNT = {
    AccountKind.HOLDING: UnitState.HELD,
    AccountKind.RETIREMENT: UnitState.RETIRED,
    AccountKind.CANCELLATION: UnitState.CANCELLED,
    AccountKind.BUFFER: UnitState.BUFFER,
}


class ProjectStatus(StrEnum):
    DRAFT = "draft"
    VALIDATED = "validated"
    REGISTERED = "registered"


class ReportStatus(StrEnum):
    SUBMITTED = "submitted"
    VERIFIED = "verified"
    ISSUED = "issued"


class OperationKind(StrEnum):
    """Every state change the registry logs. Project and report steps carry no units; the others
    consume and produce serial blocks."""

    ACCOUNTS_OPENED = "accounts_opened"
    PROJECT_DRAFTED = "project_drafted"
    PROJECT_VALIDATED = "project_validated"
    PROJECT_REGISTERED = "project_registered"
    REPORT_SUBMITTED = "report_submitted"
    REPORT_VERIFIED = "report_verified"
    ISSUANCE = "issuance"
    TRANSFER = "transfer"
    RETIREMENT = "retirement"
    CANCELLATION = "cancellation"
    REVERSAL = "reversal"
    EXPORT_REQUESTED = "export_requested"
    EXPORT_CONFIRMED = "export_confirmed"
    EXPORT_REJECTED = "export_rejected"
    EXPIRY = "expiry"


#: operations logged as plain public JSON; all others are logged as salted commitments
PUBLIC_OPERATIONS = frozenset(
    {
        OperationKind.PROJECT_DRAFTED,
        OperationKind.PROJECT_VALIDATED,
        OperationKind.PROJECT_REGISTERED,
        OperationKind.REPORT_SUBMITTED,
        OperationKind.REPORT_VERIFIED,
        OperationKind.ISSUANCE,
        OperationKind.RETIREMENT,
        OperationKind.REVERSAL,
        OperationKind.EXPORT_REQUESTED,
        OperationKind.EXPORT_CONFIRMED,
        OperationKind.EXPORT_REJECTED,
        OperationKind.EXPIRY,
    }
)

#: states whose units can be exported to another registry (planned and buffer units never)
EXPORTABLE = frozenset({UnitState.HELD})
#: states whose units can expire (their validity ended, e.g. temporary credits)
EXPIRABLE = frozenset({UnitState.HELD, UnitState.PLANNED})


@dataclass(frozen=True)
class Account:
    id: str
    organisation_id: str | None
    kind: AccountKind


@dataclass(frozen=True)
class SerialBlock:
    """A contiguous run of serial numbers ``start..end`` (both included) of one project and vintage,
    in one account and one state; ``count = end - start + 1``."""

    id: str
    project_id: str
    vintage: int
    start: int
    end: int
    account_id: str
    state: UnitState

    @property
    def count(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True)
class ProjectDraft:
    """What a developer submits to open a project. ``code`` is the project's part of every serial
    number (1-20 upper-case letters or digits), ``region`` an ISO 3166-2 subdivision (``CN-HI``)."""

    code: str
    organisation_id: str
    name_en: str
    name_zh: str
    methodology: str
    region: str
    standard: str
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Project:
    id: str
    code: str
    organisation_id: str
    name_en: str
    name_zh: str
    methodology: str
    kind: str
    region: str
    standard: str
    parameters: Mapping[str, Any]
    status: ProjectStatus


@dataclass(frozen=True)
class MonitoringReport:
    """A monitoring period's report: the calculation as the methodology produced it at submission
    (``Calculation.as_dict()``), then the verifier's opinion and any override of an implausible
    flag."""

    id: str
    project_id: str
    period_start: date
    period_end: date
    vintage: int
    calculation: Mapping[str, Any]
    status: ReportStatus
    opinion: str = ""
    override_reason: str = ""


@dataclass(frozen=True)
class Issuance:
    """One issuance: the serial range it numbered (``serial_start..serial_end``, ``quantity`` tonnes,
    buffer share included; empty, ``quantity`` 0, if it only converted planned units), the tonnes
    sent to the buffer pool, and the planned (ex-ante) units it converted to held in place
    (``converted``, counted as issued by their ex-ante issuance). ``report_id`` is the verified
    monitoring report issued, ``None`` for an ex-ante issuance."""

    id: str
    report_id: str | None
    project_id: str
    vintage: int
    serial_start: int
    serial_end: int
    quantity: int
    buffer: int
    converted: int


@dataclass(frozen=True)
class Operation:
    """One logged state change: its kind, who did it, when, its details and its log entry."""

    id: str
    kind: OperationKind
    project_id: str | None
    at: datetime
    actor: str
    details: Mapping[str, Any]
    log_index: int


@dataclass(frozen=True)
class Receipt:
    """What every state-changing use case returns: the operation, the blocks it produced, and the
    c2sp.org/tlog-proof receipt of its log entry (valid once the transaction has committed)."""

    operation: Operation
    produced: tuple[SerialBlock, ...]
    receipt: str


class OpenedAccounts(dict[AccountKind, Account]):
    """An organisation's registry accounts by kind, as ``open_accounts`` answers; ``receipt`` is the
    log receipt of the opening, or ``None`` when every account already existed (nothing changed)."""

    receipt: Receipt | None = None


@dataclass(frozen=True)
class Units:
    """Which units a transfer, retirement or cancellation takes from ``account_id``: the serial
    range ``start..end`` if given, else ``quantity`` tonnes, lowest serials first."""

    account_id: str
    project_id: str
    vintage: int
    quantity: int | None = None
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class Transfer:
    units: Units
    to_account_id: str


@dataclass(frozen=True)
class Retirement:
    """Retire units for ``beneficiary`` (the person or organisation whose claim it is) and
    ``purpose`` (e.g. "2025 events offset"); the record is public."""

    units: Units
    beneficiary: str
    purpose: str


@dataclass(frozen=True)
class Cancellation:
    units: Units
    reason: str


@dataclass(frozen=True)
class ExportRequest:
    """Export units to another registry (holder of the source account): ``destination_registry``
    (e.g. "Verra"), the account there, and why. The units wait as ``pending_export`` until the
    regulator confirms (``exported``) or rejects (back to ``held``)."""

    units: Units
    destination_registry: str
    destination_account: str
    reason: str


@dataclass(frozen=True)
class ExpiryRequest:
    """Expire units whose validity has ended (regulator), e.g. temporary credits (tCER)."""

    units: Units
    reason: str


@dataclass(frozen=True)
class Balance:
    """Tonnes per project, vintage and state in one account."""

    account_id: str
    project_id: str
    vintage: int
    state: UnitState
    tonnes: int


@dataclass(frozen=True)
class VintageTally:
    """Conservation of one project+vintage: ``issued`` equals the sum of ``by_state``."""

    project_id: str
    vintage: int
    issued: int
    by_state: Mapping[UnitState, int]

    @property
    def balanced(self) -> bool:
        return self.issued == sum(self.by_state.values())
