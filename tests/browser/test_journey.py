"""The candidate's whole path in a real browser, from the password to 感谢你完成测试."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from exams import statuses
from exams.models import Answer, Attempt
from proctoring.models import Evidence
from tests.browser.conftest import read_db, wait_for_db

pytestmark = pytest.mark.browser


def question_ids(attempt) -> list[int]:
    return list(attempt.session.paper.questions.order_by("position").values_list("id", flat=True))


def test_a_candidate_goes_from_the_password_to_thank_you_and_the_server_holds_every_answer(page, make_seat):
    # The server enforces the login photo (issue 14): this path takes it, so answering starts.
    attempt = make_seat(requires_login_photo=True)
    session, candidate = attempt.session, attempt.registration.candidate

    page.goto("/")
    page.get_by_role("textbox", name="考试口令").fill(session.password)
    page.get_by_role("button", name="下一步").click()

    page.wait_for_url("**/login/")
    expect(page.locator("#lock-warning")).to_contain_text("登录后将强制进入锁屏状态，请做好考试准备后再登录")
    page.get_by_role("textbox", name="证件号").fill(candidate.id_number)
    page.get_by_role("button", name="登录").click()

    page.wait_for_url("**/exam/photo/")
    capture = page.get_by_role("button", name="拍照")
    expect(capture).to_be_enabled()
    capture.click()
    page.get_by_role("button", name="确认使用此照片").click()

    page.wait_for_url("**/exam/confirm/")
    expect(page.get_by_text("张三")).to_be_visible()
    expect(page.get_by_text(candidate.id_number[:3] + "*" * 11 + candidate.id_number[-4:])).to_be_visible()
    expect(page.locator("#phone-pairing")).to_be_attached()
    page.get_by_role("link", name="开始考试").click()

    page.wait_for_url("**/exam/")
    page.get_by_role("button", name="进入全屏并继续").click()
    assert page.evaluate("Boolean(document.fullscreenElement)")

    expect(page.locator("#question-title")).to_contain_text("第 1 题")
    page.get_by_label("乙").check()  # single choice
    page.get_by_role("button", name="下一题").click()
    page.get_by_label("甲").check()  # multiple choice
    page.get_by_label("丙").check()
    page.get_by_role("button", name="下一题").click()
    page.get_by_label("对", exact=True).check()  # true/false
    page.get_by_role("button", name="下一题").click()
    page.locator("#question-host input[type=text]").fill("安全第一")  # fill in
    page.get_by_role("button", name="下一题").click()
    page.locator("#question-host textarea").fill("先断电，再施救。")  # essay
    page.locator("#question-host textarea").blur()
    expect(page.locator("#progress")).to_contain_text("已作答 5 / 5 题")
    expect(page.locator("#save-status")).to_have_text("已保存")

    page.get_by_role("button", name="交卷", exact=True).click()
    page.get_by_role("button", name="确认交卷").click()

    page.wait_for_url("**/exam/done/")
    expect(page.get_by_role("heading", name="感谢你完成测试")).to_be_visible()
    single, multiple, truth, fill, essay = question_ids(attempt)
    stored = read_db(
        lambda: dict(Answer.objects.filter(attempt=attempt).values_list("question_id", "value"))
    )
    assert stored == {
        single: "B", multiple: ["A", "C"], truth: True, fill: "安全第一", essay: "先断电，再施救。",
    }
    row = read_db(lambda: Attempt.objects.get(pk=attempt.pk))
    assert row.state == statuses.SUBMITTED
    expect(page.locator("#receipt")).to_have_text(row.receipt)
    assert read_db(lambda: Evidence.objects.filter(attempt=attempt, kind=Evidence.LOGIN_PHOTO).count()) == 1
    assert row.leaves_used == 0


def test_a_reload_mid_exam_restores_the_answers_and_the_current_question(page, context, make_seat):
    from tests.browser.conftest import api_login, enter_exam

    attempt = make_seat(questions=6)
    api_login(context, attempt)
    enter_exam(page)
    page.get_by_label("乙").check()
    page.get_by_role("button", name="下一题").click()
    page.get_by_label("丙").check()
    page.get_by_role("button", name="下一题").click()
    page.get_by_label("错", exact=True).check()
    page.get_by_role("button", name="下一题").click()
    page.locator("#question-host input[type=text]").fill("仍在输入")  # typed, not yet blurred

    page.reload()
    gate = page.get_by_role("button", name="进入全屏并继续")
    gate.click()
    expect(page.locator("#question-title")).to_contain_text("第 4 题")
    expect(page.locator("#question-host input[type=text]")).to_have_value("仍在输入")
    expect(page.locator("#progress")).to_contain_text("已作答 4 / 6 题")
    page.get_by_role("button", name="第 2 题，已作答").click()
    expect(page.get_by_label("丙")).to_be_checked()

    single, multiple, truth, fill, *_ = question_ids(attempt)
    expected = {single: "B", multiple: ["C"], truth: False, fill: "仍在输入"}
    assert wait_for_db(
        lambda: dict(Answer.objects.filter(attempt=attempt).values_list("question_id", "value")) == expected
    )
    # Our own reload is not a screen leave.
    assert read_db(lambda: Attempt.objects.get(pk=attempt.pk).leaves_used) == 0


@pytest.mark.parametrize(
    ("error", "event", "message"),
    [
        ("NotAllowedError", "camera_denied", "没有获得摄像头权限"),
        ("NotFoundError", "camera_missing", "未检测到摄像头"),
    ],
)
def test_a_camera_problem_is_explained_and_recorded(new_context, make_seat, error, event, message):
    from proctoring.models import ProctorEvent
    from tests.browser.conftest import api_login

    attempt = make_seat()
    context = new_context()
    context.add_init_script(
        "navigator.mediaDevices.getUserMedia = () => "
        f"Promise.reject(new DOMException('camera', '{error}'));"
    )
    api_login(context, attempt)
    page = context.new_page()
    page.goto("/exam/photo/")
    expect(page.locator("#photo-error")).to_contain_text(message)
    expect(page.get_by_role("button", name="重新检测摄像头")).to_be_focused()
    expect(page.get_by_role("button", name="拍照")).to_be_disabled()
    assert wait_for_db(lambda: ProctorEvent.objects.filter(attempt=attempt, kind=event).exists())
