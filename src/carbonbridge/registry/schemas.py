"""Request and response bodies of the registry's REST API. Quantities are whole tonnes (strict
integers: ``1.0`` or ``"1"`` is refused); calculator figures are decimal strings, as stored."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, Strict

from carbonbridge.kernel import bounds
from carbonbridge.kernel.bounds import RequestBody
from carbonbridge.registry import reads
from carbonbridge.registry.model import Balance, MonitoringReport, Project, Receipt, UnitState

Tonnes = Annotated[bounds.Tonnes, Strict()]
Serial = Annotated[bounds.SerialNumber, Strict()]
Vintage = Annotated[bounds.Year, Strict()]


class AccountOut(BaseModel):
    id: str
    organisation_id: str | None
    kind: str


class BalanceOut(BaseModel):
    account_id: str
    project_id: str
    vintage: int
    state: str
    tonnes: int

    @classmethod
    def of(cls, b: Balance) -> BalanceOut:
        return cls(
            account_id=b.account_id,
            project_id=b.project_id,
            vintage=b.vintage,
            state=b.state.value,
            tonnes=b.tonnes,
        )


class BlockOut(BaseModel):
    """A serial block: its serial number, state, account and count."""

    id: str
    serial: str
    project_id: str
    vintage: int
    start: int
    end: int
    count: int
    account_id: str
    state: str


class ReceiptOut(BaseModel):
    """The ledger receipt of a state change (c2sp.org/tlog-proof; verify offline with
    ``carbonbridge verify``), the operation and the blocks it produced."""

    operation_id: str
    kind: str
    project_id: str | None
    at: datetime
    log_index: int
    details: dict[str, Any]
    produced: list[BlockOut]
    receipt: str
    verify_url: str

    @classmethod
    def of(cls, r: Receipt, serials: list[str]) -> ReceiptOut:
        op = r.operation
        return cls(
            operation_id=op.id,
            kind=op.kind.value,
            project_id=op.project_id,
            at=op.at,
            log_index=op.log_index,
            details=dict(op.details),
            produced=[
                BlockOut(
                    id=b.id,
                    serial=s,
                    project_id=b.project_id,
                    vintage=b.vintage,
                    start=b.start,
                    end=b.end,
                    count=b.count,
                    account_id=b.account_id,
                    state=b.state.value,
                )
                for b, s in zip(r.produced, serials, strict=True)
            ],
            receipt=r.receipt,
            verify_url=f"/transparency-log/entries/{op.log_index}",
        )


class IssuanceReceiptOut(ReceiptOut):
    """An issuance's receipt, with how many of its tonnes were planned (ex-ante) units converted
    in place (``converted_serials``: their serial numbers, holders unchanged) and how many were
    newly serialised (to the developer and, for removals, the buffer pool)."""

    converted: int
    converted_serials: list[str]
    newly_serialised: int

    @classmethod
    def of_issuance(cls, r: Receipt, serials: list[str]) -> IssuanceReceiptOut:
        converted = int(r.operation.details.get("converted", 0))
        # converted serials were allocated before this issuance, so they are the lowest held ones
        held = sorted(
            ((b, s) for b, s in zip(r.produced, serials, strict=True) if b.state is UnitState.HELD),
            key=lambda pair: pair[0].start,
        )
        picked: list[str] = []
        count = 0
        for b, s in held:
            if count >= converted:
                break
            picked.append(s)
            count += b.count
        issued = sum(b.count for b in r.produced if b.state in (UnitState.HELD, UnitState.BUFFER))
        return cls(
            **ReceiptOut.of(r, serials).model_dump(),
            converted=converted,
            converted_serials=picked,
            newly_serialised=issued - converted,
        )


class ProjectIn(RequestBody):
    code: str = Field(description="the project's part of every serial: 1-20 upper-case letters or digits")
    organisation_id: str
    name_en: str
    name_zh: str
    methodology: str = Field(description="methodology id or id@version, e.g. CCER-14-002-V01")
    region: str = Field(description="ISO 3166-2 subdivision, e.g. CN-HI")
    standard: str = "CCER"
    parameters: dict[str, Any] = Field(default_factory=dict, description="the project design")


class ProjectOut(BaseModel):
    id: str
    code: str
    organisation_id: str
    name_en: str
    name_zh: str
    methodology: str
    kind: str
    region: str
    standard: str
    status: str
    parameters: dict[str, Any]

    @classmethod
    def of(cls, p: Project) -> ProjectOut:
        return cls(
            id=p.id,
            code=p.code,
            organisation_id=p.organisation_id,
            name_en=p.name_en,
            name_zh=p.name_zh,
            methodology=p.methodology,
            kind=p.kind,
            region=p.region,
            standard=p.standard,
            status=p.status.value,
            parameters=dict(p.parameters),
        )


class ProjectStepOut(BaseModel):
    project: ProjectOut
    receipt: ReceiptOut


class OpinionIn(RequestBody):
    opinion: str = Field(description="the verifier's opinion or the regulator's note")


class ReportIn(RequestBody):
    period_start: date
    period_end: date
    parameters: dict[str, Any] = Field(description="the methodology's monitoring parameters")


class VerifyIn(RequestBody):
    opinion: str
    override_reason: str = Field("", description="required when the calculation is flagged implausible")


class ReportOut(BaseModel):
    id: str
    project_id: str
    period_start: date
    period_end: date
    vintage: int
    status: str
    calculation: dict[str, Any] = Field(description="the methodology's Calculation.as_dict()")
    opinion: str
    override_reason: str

    @classmethod
    def of(cls, r: MonitoringReport) -> ReportOut:
        return cls(
            id=r.id,
            project_id=r.project_id,
            period_start=r.period_start,
            period_end=r.period_end,
            vintage=r.vintage,
            status=r.status.value,
            calculation=dict(r.calculation),
            opinion=r.opinion,
            override_reason=r.override_reason,
        )


class ReportStepOut(BaseModel):
    report: ReportOut
    receipt: ReceiptOut


class UnitsIn(RequestBody):
    """Units from a holding account: a serial range (``start``..``end``) or a quantity, lowest
    serials first."""

    account_id: str
    project_id: str
    vintage: Vintage
    quantity: Tonnes | None = None
    start: Serial | None = None
    end: Serial | None = None


class TransferIn(UnitsIn):
    to_account_id: str


class RetirementIn(UnitsIn):
    beneficiary: str = Field(description="whose claim the retirement is (public)")
    purpose: str = Field(description="what it offsets (public)")


class CancellationIn(UnitsIn):
    reason: str


class ExportIn(UnitsIn):
    """Ask to export held units to another registry; they wait as ``pending_export``."""

    destination_registry: str = Field(description="the registry receiving the units, e.g. Verra (public)")
    destination_account: str = Field(description="the account there (public)")
    reason: str


class ExportConfirmIn(RequestBody):
    destination_reference: str = Field(description="the destination registry's transaction id (public)")


class ExportRejectIn(RequestBody):
    reason: str


class ExpiryIn(UnitsIn):
    """Expire held or planned units whose validity has ended (regulator)."""

    reason: str


class ReversalIn(RequestBody):
    loss_t: Tonnes
    reason: str


class PlannedIssuanceIn(RequestBody):
    """Ex-ante units: tradable, never retirable, converted at the vintage's verified issuance."""

    vintage: Vintage
    quantity: Tonnes
    basis: str


class IssuanceOut(BaseModel):
    id: str
    report_id: str | None
    vintage: int
    quantity: int
    buffer: int
    #: the newly serialised range; ``None`` if the issuance only converted planned units
    serials: str | None
    held_serials: str | None
    buffer_serials: str | None
    #: planned (ex-ante) units converted to verified in place, keeping their serials and holders
    converted: int = 0
    converted_serials: list[str] = []


class TallyOut(BaseModel):
    project_id: str
    vintage: int
    issued: int
    by_state: dict[str, int]
    balanced: bool


class OperationOut(BaseModel):
    operation_id: str
    kind: str
    at: datetime
    actor: str
    details: dict[str, Any]
    log_index: int
    verify_url: str


class SheetOut(BaseModel):
    """A project's public sheet."""

    project: ProjectOut
    reports: list[ReportOut]
    issuances: list[IssuanceOut]
    timeline: list[OperationOut]
    tallies: list[TallyOut]


class RetirementRecordOut(BaseModel):
    operation_id: str
    project_id: str
    beneficiary: str
    purpose: str
    quantity: int
    serials: list[str]
    at: datetime
    log_index: int
    verify_url: str

    @classmethod
    def of(cls, r: reads.RetirementRecord) -> RetirementRecordOut:
        return cls(
            operation_id=r.operation_id,
            project_id=r.project_id,
            beneficiary=r.beneficiary,
            purpose=r.purpose,
            quantity=r.quantity,
            serials=list(r.serials),
            at=r.at,
            log_index=r.log_index,
            verify_url=f"/transparency-log/entries/{r.log_index}",
        )


class SerialStatusOut(BaseModel):
    serial: str
    state: str
    project_id: str
    standard: str
    methodology: str
