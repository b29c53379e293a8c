"""The project and monitoring-report state machines, and who may take each step.

=================  ==================  ==================  ==========
step               from                to                  role
=================  ==================  ==================  ==========
draft              (none)              project draft       developer
validate           project draft       validated           verifier
register           validated           registered          regulator
submit report      registered project  report submitted    developer
verify report      submitted           verified            verifier
issue              verified            issued              regulator
=================  ==================  ==================  ==========

(ISO 14064-2 / CDM project cycle: a validation/verification body validates the design, the
programme operator registers it; monitoring reports are verified before issuance.) Admins may take
every step; developers only for their own organisation's projects (checked by the service).
"""

from __future__ import annotations

from enum import StrEnum

from carbonbridge.registry.errors import InvalidTransition
from carbonbridge.registry.model import ProjectStatus, ReportStatus


class Step(StrEnum):
    DRAFT = "draft"
    VALIDATE = "validate"
    REGISTER = "register"
    SUBMIT_REPORT = "submit_report"
    VERIFY_REPORT = "verify_report"
    ISSUE = "issue"


#: who takes each step (``platform.identity.Role`` values; the service checks the caller)
ROLE_OF_STEP = {
    Step.DRAFT: "developer",
    Step.VALIDATE: "verifier",
    Step.REGISTER: "regulator",
    Step.SUBMIT_REPORT: "developer",
    Step.VERIFY_REPORT: "verifier",
    Step.ISSUE: "regulator",
}

PROJECT_STEPS = {
    Step.VALIDATE: (ProjectStatus.DRAFT, ProjectStatus.VALIDATED),
    Step.REGISTER: (ProjectStatus.VALIDATED, ProjectStatus.REGISTERED),
}

REPORT_STEPS = {
    Step.VERIFY_REPORT: (ReportStatus.SUBMITTED, ReportStatus.VERIFIED),
    Step.ISSUE: (ReportStatus.VERIFIED, ReportStatus.ISSUED),
}


def project_after(status: ProjectStatus, step: Step) -> ProjectStatus:
    """The project's status after ``step``; :class:`InvalidTransition` if it does not apply."""
    source, target = PROJECT_STEPS[step]
    if status is not source:
        raise InvalidTransition(
            f"cannot {step.value} a project that is {status.value}; it must be {source.value}"
        )
    return target


def report_after(status: ReportStatus, step: Step) -> ReportStatus:
    """The report's status after ``step``; :class:`InvalidTransition` if it does not apply."""
    source, target = REPORT_STEPS[step]
    if status is not source:
        raise InvalidTransition(
            f"cannot {step.value.replace('_', ' ')} a monitoring report that is {status.value}; "
            f"it must be {source.value}"
        )
    return target


def can_submit_report(status: ProjectStatus) -> None:
    """Monitoring reports are accepted only for registered projects."""
    if status is not ProjectStatus.REGISTERED:
        raise InvalidTransition(
            f"the project is {status.value}; monitoring reports need a registered project"
        )
