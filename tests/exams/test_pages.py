"""The candidate's pages render, carry what their JS needs, and send people where they belong."""

import json
import re
from datetime import timedelta

import pytest

from exams.models import BackupKey, ExamSession
from exams.services.backups import backup_public_key
from exams.services.collection import session_collect
from tests import factories
from tests.helpers import START, at

AFTER_LOGIN = ["/exam/photo/", "/exam/confirm/", "/exam/", "/exam/done/", "/exam/collected/", "/exam/locked/"]


def page(client, path):
    return client.client.get(path)


def js_strings(html: str) -> dict:
    match = re.search(r'<script id="page-strings" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the page hands its JS strings over in json_script"
    return json.loads(match.group(1))


def assert_csp_safe(html: str) -> None:
    """No inline script, no inline style: every script has a src or is JSON data."""
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers


def test_the_entry_page_asks_for_the_six_digit_password(client, db):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "考试口令" in html
    assert 'inputmode="numeric"' in html
    assert "设备调试" in html
    assert 'id="support-link"' in html and 'href="#support"' in html
    assert 'id="page-strings"' in html
    assert "csrftoken" in response.cookies
    assert_csp_safe(html)


def test_the_login_page_asks_for_the_id_number_in_capitals(client, db):
    html = client.get("/login/").content.decode()
    assert "证件号" in html
    assert "字母需大写" in html
    # shown by the JS for lock-screen sessions
    assert js_strings(html)["lock_warning"] == "登录后将强制进入锁屏状态，请做好考试准备后再登录。"
    assert_csp_safe(html)


@pytest.mark.parametrize("path", AFTER_LOGIN)
def test_pages_after_login_send_someone_without_a_login_to_the_entry(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_photo_page_has_a_capture_button_below_the_preview_and_the_guidance(logged_in):
    client = logged_in
    with at(START - timedelta(minutes=4)):
        html = page(client, "/exam/photo/").content.decode()
    assert html.index('id="camera-preview"') < html.index('id="capture"')
    assert "capture-button" in html
    for words in ("额头和耳朵", "肩部", "光线充足", "口罩或帽子"):
        assert words in html
    assert_csp_safe(html)


def test_the_confirmation_page_shows_who_which_session_and_the_rules_in_beijing_time(logged_in, attempt):
    client = logged_in
    with at(START - timedelta(minutes=4)):
        html = page(client, "/exam/confirm/").content.decode()
    id_number = attempt.registration.candidate.id_number
    assert "张三" in html
    assert id_number[:3] + "*" * 11 + id_number[-4:] in html
    assert id_number not in html
    assert attempt.registration.admission_ticket in html
    assert attempt.session.name in html
    assert "7月30日 09:00" in html and "7月30日 11:00" in html  # 01:00-03:00 UTC
    assert "视为迟到" in html and "60 分钟" in html and "统一收卷" in html and "5 次" in html
    assert "飞行模式" in html and "口罩" in html
    assert 'id="phone-pairing"' in html
    assert "A4" not in html
    assert 'href="/exam/"' in html and "开始考试" in html
    assert_csp_safe(html)


def test_the_confirmation_page_explains_the_a4_step_for_scratch_paper_subjects(logged_in, attempt):
    client = logged_in
    ExamSession.objects.filter(pk=attempt.session_id).update(requires_scratch_paper=True)
    with at(START - timedelta(minutes=4)):
        html = page(client, "/exam/confirm/").content.decode()
    assert "空白 A4 草稿纸" in html


def test_the_exam_page_hands_the_script_the_attempt_and_the_lock_screen(
    logged_in, attempt, django_assert_max_num_queries
):
    client = logged_in
    backup_public_key(batch_id=attempt.session.batch_id)  # made with the batch, then cached
    with at(START), django_assert_max_num_queries(2):  # the Django session and one joined row
        response = page(client, "/exam/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-attempt-id="{attempt.id}"' in html
    assert 'data-lock-screen="true"' in html
    assert 'data-device-check="false"' in html
    assert 'data-time-zone="Asia/Shanghai"' in html
    assert "进入全屏并继续" in html
    assert 'role="status"' in html and 'aria-live="polite"' in html
    assert js_strings(html)["offline"] == "网络已断开，答案已保存在本机，恢复后自动上传。"
    assert_csp_safe(html)
    key = BackupKey.objects.get(batch=attempt.session.batch)
    assert f'data-backup-spki="{key.public_key}"' in html and f'data-backup-key-id="{key.key_id}"' in html
    assert "PRIVATE" not in html and key.private_key_sealed not in html


def test_the_device_check_exam_page_has_no_lock_and_a_way_out(make_client, db):
    session = factories.SessionFactory(kind="device_check", paper=factories.full_paper())
    attempt = factories.AttemptFactory(registration=factories.RegistrationFactory(session=session))
    client = make_client()
    with at(START):
        assert client.login(session, attempt.registration.candidate).status_code == 200
        html = page(client, "/exam/").content.decode()
    assert 'data-lock-screen="false"' in html
    assert 'data-device-check="true"' in html
    assert "退出调试" in html
    assert 'id="device-check"' in html


def test_a_submitted_attempt_is_shown_thank_you_with_its_receipt(logged_in, attempt):
    client = logged_in
    with at(START + timedelta(minutes=61)):
        client.post("attempt/start/")
        submitted = client.post("attempt/submit/")
        assert submitted.status_code == 200, submitted.json()
        redirect = page(client, "/exam/")
        html = page(client, "/exam/done/").content.decode()
    assert redirect.status_code == 302 and redirect["Location"] == "/exam/done/"
    assert "感谢你完成测试" in html
    assert submitted.json()["receipt"] in html
    assert "关闭" in html


def test_the_thank_you_page_is_not_shown_before_a_submit(logged_in):
    client = logged_in
    with at(START):
        response = page(client, "/exam/done/")
    assert response["Location"] == "/exam/"


def test_a_collected_attempt_is_told_the_account_is_no_longer_valid(logged_in, attempt):
    client = logged_in
    with at(START + timedelta(minutes=1)):
        client.post("attempt/start/")
        client.save((attempt.session.paper.questions.order_by("position").first().id, "A", 1))
    with at(attempt.deadline):
        session_collect(session_id=attempt.session_id, now=attempt.deadline)
    with at(attempt.deadline + timedelta(seconds=1)):
        redirect = page(client, "/exam/")
        html = page(client, "/exam/collected/").content.decode()
    attempt.refresh_from_db()
    assert redirect["Location"] == "/exam/collected/"
    assert "考试时间已到，系统已统一收卷，账号已失效" in html
    assert attempt.receipt and attempt.receipt in html


def test_the_collected_page_before_the_deadline_goes_back_to_the_exam(logged_in, attempt):
    client = logged_in
    with at(attempt.deadline - timedelta(seconds=1)):
        response = page(client, "/exam/collected/")
    assert response["Location"] == "/exam/"


def test_the_collected_page_right_after_the_deadline_shows_before_the_sweep_ran(logged_in, attempt):
    client = logged_in
    with at(attempt.deadline + timedelta(seconds=1)):
        response = page(client, "/exam/collected/")
    assert response.status_code == 200
    assert "账号已失效" in response.content.decode()


def test_a_locked_attempt_goes_to_the_locked_page_that_says_how_to_get_help(logged_in):
    client = logged_in
    leaves = [{"kind": "screen_leave", "details": {"cause": "focus_loss"}}] * 5
    with at(START):
        assert client.post("attempt/events/", {"events": leaves}).json()["locked"] is True
        redirect = page(client, "/exam/")
        html = page(client, "/exam/locked/").content.decode()
    assert redirect["Location"] == "/exam/locked/"
    assert "作答已锁定" in html
    assert "技术支持" in html and "解锁" in html
    assert_csp_safe(html)


def test_the_locked_page_returns_to_the_exam_once_unlocked(logged_in):
    client = logged_in
    with at(START):
        response = page(client, "/exam/locked/")
    assert response["Location"] == "/exam/"


@pytest.mark.parametrize("path", ["/", "/login/"])
def test_a_form_sent_without_the_pages_script_keeps_the_password_out_of_the_address(client, db, path):
    form = client.get(path).content.decode()
    assert re.search(r'<form id="(entry|login)-form"[^>]*method="post"', form)
    token = client.cookies["csrftoken"].value
    sent = {"password": "654321", "id_number": "110101199001011237", "csrfmiddlewaretoken": token}
    response = client.post(path, sent)
    html = response.content.decode()
    assert response.status_code == 200
    assert "页面的脚本没有加载，您的输入没有发送" in html
    assert "654321" not in html and "110101199001011237" not in html


def test_the_site_icon_is_named_on_every_page_and_favicon_ico_finds_it(client, db):
    html = client.get("/").content.decode()
    assert re.search(r'<link rel="icon" href="/static/img/favicon\.svg"', html)
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/img/favicon.svg"
    assert client.get("/static/img/favicon.svg").status_code == 200


@pytest.mark.parametrize(("name", "shown"), [("设备调试", "设备调试</dd>"), ("理论考试", "理论考试（正式考试）</dd>")])
def test_the_confirmation_page_names_the_session_kind_only_when_the_name_does_not_say_it(
    logged_in, attempt, name, shown
):
    ExamSession.objects.filter(pk=attempt.session_id).update(
        name=name, kind=ExamSession.DEVICE_CHECK if name == "设备调试" else ExamSession.FORMAL
    )
    with at(START - timedelta(minutes=4)):
        html = page(logged_in, "/exam/confirm/").content.decode()
    assert shown in html
    assert "设备调试（设备调试）" not in html


def test_the_unknown_password_refusal_and_its_next_step_say_different_things(client, db):
    strings = js_strings(client.get("/").content.decode())
    client.get("/api/v1/candidate/csrf/")
    refusal = client.post(
        "/api/v1/candidate/entry/", data=json.dumps({"password": "999999"}), content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    ).json()
    assert refusal["code"] == "unknown_password"
    assert "重新输入" in refusal["detail"] and "重新输入" not in strings["next.unknown_password"]
    assert "技术支持" in strings["next.unknown_password"]


def test_in_english_the_phone_pairing_block_of_the_confirmation_page_is_english(logged_in, attempt):
    from django.conf import settings

    logged_in.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with at(START - timedelta(minutes=4)):
        html = page(logged_in, "/exam/confirm/").content.decode()
    block = re.search(r'<div id="phone-pairing".*?>', html, re.S).group(0)
    assert 'data-msg-regenerate="Make a new QR code"' in block
    assert not re.search(r"[\u4e00-\u9fff]", block)
