"""The accounting context's domain errors (each with a section in ``docs/errors.md``)."""

from __future__ import annotations

from carbonbridge.kernel.errors import Conflict


class InventoryFinalised(Conflict):
    """Activity data would change a year whose inventory is finalised: only the regulator's
    reopening (with a written reason) lets it change again."""

    code = "accounting-inventory-finalised"
    title_en = "The year's inventory is finalised"
    title_zh = "该年度清单已定稿"


class SubmissionReplaced(Conflict):
    """The submission named as the one to replace was already replaced: replace its replacement
    (the latest version), which the detail names."""

    code = "accounting-submission-replaced"
    title_en = "Submission already replaced"
    title_zh = "该报送已被替换"


class RebuildRunning(Conflict):
    """Another process (or thread) is rebuilding the regional statement: one rebuild at a time."""

    code = "accounting-rebuild-running"
    title_en = "The regional statement is being rebuilt"
    title_zh = "区域清单正在重新计算"
