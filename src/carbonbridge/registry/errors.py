"""The registry's domain errors (each with a section in ``docs/errors.md``)."""

from __future__ import annotations

from carbonbridge.kernel.errors import Conflict


class InsufficientUnits(Conflict):
    """The account does not hold the units asked for (in the state asked for); nothing moved."""

    code = "registry-insufficient-units"
    title_en = "Insufficient units"
    title_zh = "可用减排量不足"


class InvalidTransition(Conflict):
    """A project, monitoring report or export request is not in the state this step starts from
    (e.g. an export request already confirmed or rejected)."""

    code = "registry-invalid-transition"
    title_en = "Step not allowed in the current state"
    title_zh = "当前状态不允许此操作"


class ImplausibleCalculation(Conflict):
    """The monitoring report's calculation carries an implausible flag and the verifier gave no
    override reason."""

    code = "registry-implausible-calculation"
    title_en = "Implausible calculation needs a written override"
    title_zh = "计算结果不合理，须书面说明理由"


class InsufficientBuffer(Conflict):
    """A reversal exceeds what the buffer pool holds; the detail gives the shortfall."""

    code = "registry-insufficient-buffer"
    title_en = "Buffer pool insufficient for the reversal"
    title_zh = "缓冲池不足以抵补逆转损失"
