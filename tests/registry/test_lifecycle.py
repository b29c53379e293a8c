"""The project and report state machines."""

from __future__ import annotations

import pytest

from carbonbridge.registry.errors import InvalidTransition
from carbonbridge.registry.lifecycle import Step, can_submit_report, project_after, report_after
from carbonbridge.registry.model import ProjectStatus, ReportStatus


def test_project_goes_draft_validated_registered() -> None:
    assert project_after(ProjectStatus.DRAFT, Step.VALIDATE) is ProjectStatus.VALIDATED
    assert project_after(ProjectStatus.VALIDATED, Step.REGISTER) is ProjectStatus.REGISTERED


def test_registration_needs_validation_first() -> None:
    with pytest.raises(InvalidTransition, match="must be validated"):
        project_after(ProjectStatus.DRAFT, Step.REGISTER)


def test_report_goes_submitted_verified_issued_once() -> None:
    assert report_after(ReportStatus.SUBMITTED, Step.VERIFY_REPORT) is ReportStatus.VERIFIED
    assert report_after(ReportStatus.VERIFIED, Step.ISSUE) is ReportStatus.ISSUED
    with pytest.raises(InvalidTransition, match="issued"):
        report_after(ReportStatus.ISSUED, Step.ISSUE)
    with pytest.raises(InvalidTransition, match="must be verified"):
        report_after(ReportStatus.SUBMITTED, Step.ISSUE)


def test_reports_need_a_registered_project() -> None:
    can_submit_report(ProjectStatus.REGISTERED)
    with pytest.raises(InvalidTransition):
        can_submit_report(ProjectStatus.VALIDATED)
