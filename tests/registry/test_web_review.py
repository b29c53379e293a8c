"""The review queue page (``/registry/review``): a verifier validates a draft and verifies a
report, the regulator registers, issues (the project page then shows the issuance) and issues
planned units, each through the page's forms; a developer and the public are refused; a flagged
report without an override reason is refused and stays submitted; bad input says why and changes
nothing; zh and en."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from carbonbridge.registry import reads, service
from carbonbridge.registry.model import (
    AccountKind,
    Project,
    ProjectDraft,
    ProjectStatus,
    ReportStatus,
    UnitState,
)
from tests.conftest import make_user
from tests.registry.conftest import ADMIN, DEVELOPER, VERIFIER, World
from tests.registry.helpers import registered_project

RECEIPT = re.compile(r'href="/transparency-log/entries/(\d+)" id="done-receipt"')


def _login(app_client: Any, headers: dict[str, str]) -> None:
    app_client.cookies.set("cb_session", headers["Authorization"].removeprefix("Bearer "))


def _draft(world: World, code: str = "MG001") -> Project:
    draft = ProjectDraft(
        code,
        "mangrove-dev",
        "Dongzhai Harbour mangrove afforestation",
        "东寨港红树林营造",
        "TEST-REMOVAL@1.0",
        "CN-HI",
        "CCER",
        {},
    )
    project, _ = service.draft_project(world.sessions, DEVELOPER, draft)
    return project


def _submitted(world: World, project: Project, parameters: dict[str, Any]) -> str:
    report, _ = service.submit_report(
        world.sessions, DEVELOPER, project.id, date(2024, 1, 1), date(2024, 12, 31), parameters
    )
    return report.id


def _report_status(world: World, project: Project) -> ReportStatus:
    [report] = service.reports(world.sessions, project.id)
    return report.status


def _receipt_resolves(app_client: Any, text: str) -> None:
    found = RECEIPT.search(text)
    assert found is not None, text
    assert app_client.get(f"/transparency-log/entries/{found.group(1)}").status_code == 200


def test_a_verifier_validates_a_draft_and_verifies_a_report(app_client: Any, world: World) -> None:
    draft = _draft(world, "MG002")
    registered = registered_project(world.sessions)
    report_id = _submitted(world, registered, {"net_t": "123.4567"})
    _login(app_client, make_user(world.sessions, "ver", "verifier"))
    home = app_client.get("/registry?lang=en")
    assert 'href="/registry/review" id="review-link"' in home.text

    page = app_client.get("/registry/review?lang=en")
    assert page.status_code == 200, page.text
    assert f'action="/registry/review/projects/{draft.id}/validate"' in page.text
    assert "TEST-REMOVAL@1.0 (removal)" in page.text
    assert f'action="/registry/review/reports/{report_id}/verify"' in page.text
    assert '<strong class="net">123.457</strong> t CO2e' in page.text
    assert "No plausibility flag raised." in page.text
    assert 'name="override_reason"' not in page.text  # not flagged: no override asked for
    assert "Projects awaiting registration" not in page.text  # the regulator's part

    validated = app_client.post(
        f"/registry/review/projects/{draft.id}/validate?lang=en", data={"opinion": "Design conforms."}
    )
    assert validated.status_code == 200, validated.text
    assert 'id="done"' in validated.text
    assert "project_validated" in validated.text
    assert "No project awaits validation." in validated.text
    _receipt_resolves(app_client, validated.text)
    assert service.get_project(world.sessions, draft.id).status is ProjectStatus.VALIDATED

    verified = app_client.post(
        f"/registry/review/reports/{report_id}/verify?lang=en",
        data={"opinion": "Reasonable assurance (ISO 14064-3)."},
    )
    assert verified.status_code == 200, verified.text
    assert "report_verified" in verified.text
    assert "No monitoring report awaits verification." in verified.text
    _receipt_resolves(app_client, verified.text)
    [report] = service.reports(world.sessions, registered.id)
    assert (report.status, report.opinion) == (ReportStatus.VERIFIED, "Reasonable assurance (ISO 14064-3).")


def test_the_regulator_registers_issues_and_issues_planned_units(app_client: Any, world: World) -> None:
    project = _draft(world)
    service.validate_project(world.sessions, VERIFIER, project.id, "Conforms.")
    _login(app_client, make_user(world.sessions, "office", "regulator"))
    assert 'id="review-link"' in app_client.get("/registry?lang=en").text
    page = app_client.get("/registry/review?lang=en")
    assert f'action="/registry/review/projects/{project.id}/register"' in page.text
    assert "Projects awaiting validation" not in page.text  # the verifier's part

    registered = app_client.post(
        f"/registry/review/projects/{project.id}/register?lang=en", data={"note": "Registered."}
    )
    assert registered.status_code == 200, registered.text
    assert "project_registered" in registered.text
    assert "No project awaits registration." in registered.text
    _receipt_resolves(app_client, registered.text)
    assert service.get_project(world.sessions, project.id).status is ProjectStatus.REGISTERED

    report_id = _submitted(world, project, {"net_t": "100.9"})
    service.verify_report(world.sessions, VERIFIER, report_id, "Reasonable assurance.")
    page = app_client.get("/registry/review?lang=en")
    # floor(100.9) = 100 t, ceil(100 × 0.2) = 20 t to the buffer pool (the default share)
    assert '<strong class="to-issue-t">100</strong> t' in page.text
    assert '<span class="buffer-t">20</span> t' in page.text
    assert "Opinion: Reasonable assurance." in page.text

    issued = app_client.post(f"/registry/review/reports/{report_id}/issue?lang=en")
    assert issued.status_code == 200, issued.text
    assert "issuance" in issued.text
    assert '<span class="done-block">CB-CN-HI-MG001-2024-1-80 (held)</span>' in issued.text
    assert '<span class="done-block">CB-CN-HI-MG001-2024-81-100 (buffer)</span>' in issued.text
    assert "No verified report awaits issuance." in issued.text
    _receipt_resolves(app_client, issued.text)
    assert _report_status(world, project) is ReportStatus.ISSUED
    sheet = app_client.get(f"/registry/projects/{project.id}?lang=en").text
    assert '<td class="serial">CB-CN-HI-MG001-2024-1-100</td>' in sheet
    assert '<td class="serial">CB-CN-HI-MG001-2024-1-80</td>' in sheet

    planned = app_client.post(
        f"/registry/review/projects/{project.id}/planned?lang=en",
        data={"vintage": "2025", "quantity": "30", "basis": "validated design, expected 2025 removals"},
    )
    assert planned.status_code == 200, planned.text
    assert '<span class="done-block">CB-CN-HI-MG001-2025-1-30 (planned)</span>' in planned.text
    _receipt_resolves(app_client, planned.text)
    held = reads.holdings(world.sessions, ADMIN, world.dev[AccountKind.HOLDING].id)
    assert sorted((b.vintage, b.start, b.end, b.state) for b in held) == [
        (2024, 1, 80, UnitState.HELD),
        (2025, 1, 30, UnitState.PLANNED),
    ]
    sheet = app_client.get(f"/registry/projects/{project.id}?lang=en").text
    assert '<td class="serial">CB-CN-HI-MG001-2025-1-30</td>' in sheet


def test_planned_units_for_a_validated_project_in_chinese(app_client: Any, world: World) -> None:
    project = _draft(world)
    _login(app_client, make_user(world.sessions, "office", "regulator"))
    assert f'id="planned-{project.id}"' not in app_client.get("/registry/review?lang=zh").text  # a draft
    service.validate_project(world.sessions, VERIFIER, project.id, "Conforms.")
    page = app_client.get("/registry/review?lang=zh")
    assert f'id="planned-{project.id}"' in page.text
    assert "签发预期单位" in page.text
    done = app_client.post(
        f"/registry/review/projects/{project.id}/planned?lang=zh",
        data={"vintage": "2026", "quantity": "5", "basis": "审定设计的预期清除量"},
    )
    assert done.status_code == 200, done.text
    assert "CB-CN-HI-MG001-2026-1-5 (预期)" in done.text


def test_a_developer_and_the_public_are_refused(app_client: Any, world: World) -> None:
    project = _draft(world)
    refused = app_client.get("/registry/review?lang=en")
    assert refused.status_code == 401
    assert 'id="error"' in refused.text

    _login(app_client, make_user(world.sessions, "dev", "developer", "mangrove-dev"))
    assert 'id="review-link"' not in app_client.get("/registry?lang=en").text
    page = app_client.get("/registry/review?lang=zh")
    assert page.status_code == 403
    assert '<h2 class="title">无权操作</h2>' in page.text
    assert "需要以下角色之一：核查机构、主管部门" in page.text
    assert project.code not in page.text
    english = app_client.get("/registry/review?lang=en")
    assert "role &#39;developer&#39; may not do this; needs one of: verifier, regulator" in english.text

    posted = app_client.post(
        f"/registry/review/projects/{project.id}/validate?lang=en", data={"opinion": "Mine is fine."}
    )
    assert posted.status_code == 403
    detail = "role &#39;developer&#39; may not do this; needs one of: verifier"
    assert f'<p class="detail">{detail}</p>' in posted.text  # the step's own reason
    assert "Nothing was changed." in posted.text
    planned = app_client.post(
        f"/registry/review/projects/{project.id}/planned?lang=en",
        data={"vintage": "2025", "quantity": "10", "basis": "x"},
    )
    assert planned.status_code == 403
    assert service.get_project(world.sessions, project.id).status is ProjectStatus.DRAFT
    assert reads.holdings(world.sessions, ADMIN, world.dev[AccountKind.HOLDING].id) == []


def test_a_verifier_may_not_issue(app_client: Any, world: World) -> None:
    project = registered_project(world.sessions)
    report_id = _submitted(world, project, {"net_t": "50"})
    service.verify_report(world.sessions, VERIFIER, report_id, "Fine.")
    _login(app_client, make_user(world.sessions, "ver", "verifier"))
    refused = app_client.post(f"/registry/review/reports/{report_id}/issue?lang=en")
    assert refused.status_code == 403
    assert "role &#39;verifier&#39; may not do this; needs one of: regulator" in refused.text
    assert 'id="to-validate"' in refused.text  # the verifier's queue, with the refusal on top
    assert _report_status(world, project) is ReportStatus.VERIFIED


@pytest.mark.parametrize(
    ("lang", "title", "blocked", "detail"),
    [
        (
            "en",
            "Implausible calculation needs a written override",
            "Verification is blocked until each implausible figure is justified in writing.",
            "the calculation of {report} is flagged implausible; give an override reason to verify it",
        ),
        (
            "zh",
            "计算结果不合理，须书面说明理由",
            "在对每个不可信数值作出书面说明之前，不能进行核证。",
            "监测报告 {report} 的计算结果被标记为不合理；须填写书面理由方可核证",
        ),
    ],
)
def test_a_flagged_report_needs_an_override_reason(
    app_client: Any, world: World, lang: str, title: str, blocked: str, detail: str
) -> None:
    project = registered_project(world.sessions)
    report_id = _submitted(world, project, {"net_t": "100", "implausible": True})
    _login(app_client, make_user(world.sessions, "ver", "verifier"))
    page = app_client.get(f"/registry/review?lang={lang}")
    assert blocked in page.text
    assert 'name="override_reason"' in page.text
    assert "too much" in page.text if lang == "en" else "过多" in page.text

    refused = app_client.post(
        f"/registry/review/reports/{report_id}/verify?lang={lang}",
        data={"opinion": "Looks fine.", "override_reason": "   "},
    )
    assert refused.status_code == 409, refused.text
    assert f'<h2 class="title">{title}</h2>' in refused.text
    assert detail.format(report=report_id) in refused.text
    assert "<td>flags.fuel_per_area</td><td>600</td>" in refused.text
    assert _report_status(world, project) is ReportStatus.SUBMITTED
    assert f'action="/registry/review/reports/{report_id}/verify"' in refused.text  # still queued

    done = app_client.post(
        f"/registry/review/reports/{report_id}/verify?lang={lang}",
        data={"opinion": "Looks fine.", "override_reason": "Fuel log checked against receipts."},
    )
    assert done.status_code == 200, done.text
    [report] = service.reports(world.sessions, project.id)
    assert report.status is ReportStatus.VERIFIED
    assert report.override_reason == "Fuel log checked against receipts."


@pytest.mark.parametrize(
    ("fields", "field", "reason_en", "reason_zh"),
    [
        ({"vintage": "20x5"}, "vintage", "a four-digit year", "应为四位数年份"),
        ({"vintage": "25"}, "vintage", "a four-digit year", "应为四位数年份"),
        ({"quantity": "1.5"}, "quantity", "a whole number of tonnes ≥ 1", "应为不小于 1 的整吨数"),
        ({"quantity": "0"}, "quantity", "a whole number of tonnes ≥ 1", "应为不小于 1 的整吨数"),
        ({"basis": " "}, "basis", "1-500 characters", "应为 1-500 个字符"),
    ],
)
def test_bad_planned_issuance_says_why_and_changes_nothing(
    app_client: Any,
    world: World,
    fields: dict[str, str],
    field: str,
    reason_en: str,
    reason_zh: str | None,
) -> None:
    project = registered_project(world.sessions)
    _login(app_client, make_user(world.sessions, "office", "regulator"))
    form = {"vintage": "2025", "quantity": "10", "basis": "expected removals", **fields}
    for lang in ("en", "zh"):
        response = app_client.post(f"/registry/review/projects/{project.id}/planned?lang={lang}", data=form)
        assert response.status_code == 422, response.text
        assert f"<td>{field}</td>" in response.text
        if lang == "en":
            assert '<p class="detail">invalid ex-ante issuance</p>' in response.text
            assert f'<td class="reason">{reason_en}</td>' in response.text
        else:
            assert '<p class="detail">预签发申请无效</p>' in response.text
            assert "未做任何更改。" in response.text
            if reason_zh:
                assert f'<td class="reason">{reason_zh}</td>' in response.text
    assert reads.holdings(world.sessions, ADMIN, world.dev[AccountKind.HOLDING].id) == []


def test_an_empty_opinion_and_a_wrong_state_are_refused_in_chinese(app_client: Any, world: World) -> None:
    project = _draft(world)
    _login(app_client, make_user(world.sessions, "ver", "verifier"))
    empty = app_client.post(f"/registry/review/projects/{project.id}/validate?lang=zh", data={"opinion": ""})
    assert empty.status_code == 422
    assert '<p class="detail">无法审定项目</p>' in empty.text
    assert '<td>opinion</td><td></td><td class="reason">应为 1-5000 个字符</td>' in empty.text
    assert service.get_project(world.sessions, project.id).status is ProjectStatus.DRAFT

    first = app_client.post(
        f"/registry/review/projects/{project.id}/validate?lang=zh", data={"opinion": "可以。"}
    )
    assert first.status_code == 200
    twice = app_client.post(
        f"/registry/review/projects/{project.id}/validate?lang=zh", data={"opinion": "再次。"}
    )
    assert twice.status_code == 409
    assert '<h2 class="title">当前状态不允许此操作</h2>' in twice.text
    unknown = app_client.post("/registry/review/reports/mr_nope/verify?lang=en", data={"opinion": "x"})
    assert unknown.status_code == 404
    assert "monitoring report mr_nope does not exist" in unknown.text


def test_the_queue_in_chinese_and_english(app_client: Any, world: World) -> None:
    _draft(world)
    _login(app_client, make_user(world.sessions, "admin", "admin"))
    zh = app_client.get("/registry/review?lang=zh").text
    for text in (
        "审核队列",
        "待审定的项目",
        "审定项目",
        "待核查的监测报告",
        "待备案的项目",
        "预签发（预期）单位",
    ):
        assert text in zh
    assert "东寨港红树林营造" in zh
    en = app_client.get("/registry/review?lang=en").text
    for text in (
        "Review queue",
        "Projects awaiting validation",
        "Validate project",
        "Verified reports awaiting issuance",
    ):
        assert text in en
    assert "Dongzhai Harbour mangrove afforestation" in en
