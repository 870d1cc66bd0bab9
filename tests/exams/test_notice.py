"""The public notice page: task table, passwords once published, rules from the session fields."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils.html import strip_tags

from exams.models import ExamSession
from exams.selectors import notice as selectors
from support.models import StaffedPeriod
from tests import factories

pytestmark = pytest.mark.django_db

# The seed's batch, in Beijing time (UTC+8).
DEVICE_CHECK_START = datetime(2023, 7, 25, 1, 0, tzinfo=UTC)  # 25 Jul 09:00
DEVICE_CHECK_END = datetime(2023, 7, 26, 10, 0, tzinfo=UTC)  # 26 Jul 18:00
MOCK_START = datetime(2023, 7, 29, 7, 0, tzinfo=UTC)  # 29 Jul 15:00
FORMAL_START = factories.FORMAL_START  # 30 Jul 09:00
PUBLISHED_AT = FORMAL_START - timedelta(days=7)  # 23 Jul 09:00
BEFORE_EVERYTHING = datetime(2023, 7, 1, tzinfo=UTC)


@pytest.fixture
def batch():
    return factories.BatchFactory(name="2023年全省职业技能等级统一认定（7月30日批次）", slug="2023-07-30")


@pytest.fixture
def device_check(batch):
    return factories.SessionFactory(
        batch=batch,
        kind=ExamSession.DEVICE_CHECK,
        name="设备调试",
        paper=None,
        password="283381",
        starts_at=DEVICE_CHECK_START,
        ends_at=DEVICE_CHECK_END,
    )


@pytest.fixture
def mock(batch):
    return factories.SessionFactory(
        batch=batch,
        kind=ExamSession.MOCK,
        name="集中模拟测试",
        password="283385",
        starts_at=MOCK_START,
        ends_at=MOCK_START + timedelta(hours=1),
    )


@pytest.fixture
def formal(batch):
    return factories.SessionFactory(
        batch=batch,
        kind=ExamSession.FORMAL,
        name="正式考试 理论知识",
        password="918273",
        starts_at=FORMAL_START,
        ends_at=FORMAL_START + timedelta(hours=2),
    )


def page_text(client, slug="2023-07-30"):
    response = client.get(f"/notice/{slug}/")
    assert response.status_code == 200
    html = response.content.decode()
    return html, " ".join(strip_tags(html).split())


def task_rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    return [
        [
            " ".join(strip_tags(cell).split())
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        ]
        for row in rows
    ]


def test_it_shows_the_task_table_in_start_order_in_the_notice_style(
    client, batch, formal, mock, device_check
):
    with time_machine.travel(PUBLISHED_AT, tick=False):
        html, text = page_text(client)

    assert f"<title>{batch.name}</title>" in html
    assert "<h1" in html and batch.name in text
    assert "任务名称 时间安排 考试口令" in text
    assert task_rows(html) == [
        ["设备调试", "7月25日 09:00 — 7月26日 18:00", "283381"],
        ["集中模拟测试", "7月29日 15:00-16:00", "283385"],
        ["正式考试 理论知识", "7月30日 09:00-11:00", "918273"],
    ]


def test_it_hides_a_formal_password_until_one_week_before_the_start(client, formal):
    with time_machine.travel(PUBLISHED_AT - timedelta(seconds=1), tick=False):
        html, text = page_text(client)

    assert "918273" not in html
    assert task_rows(html) == [
        ["正式考试 理论知识", "7月30日 09:00-11:00", "考前一周公布（7月23日 09:00 公布）"]
    ]


def test_it_shows_a_formal_password_at_its_publication_instant(client, formal):
    with time_machine.travel(PUBLISHED_AT, tick=False):
        html, _text = page_text(client)

    assert task_rows(html)[0][2] == "918273"


def test_it_shows_a_custom_publication_time_instead_of_one_week_before(client, batch):
    factories.SessionFactory(
        batch=batch,
        name="正式考试 实操",
        password="640128",
        starts_at=FORMAL_START,
        ends_at=FORMAL_START + timedelta(hours=2),
        password_published_at=datetime(2023, 7, 28, 2, 0, tzinfo=UTC),
    )

    with time_machine.travel(PUBLISHED_AT, tick=False):
        html, _text = page_text(client)

    assert "640128" not in html
    assert task_rows(html)[0][2] == "7月28日 10:00 公布"


def test_it_shows_device_check_and_mock_passwords_at_once(client, device_check, mock, formal):
    with time_machine.travel(BEFORE_EVERYTHING, tick=False):
        html, _text = page_text(client)

    assert [row[2] for row in task_rows(html)] == ["283381", "283385", "考前一周公布（7月23日 09:00 公布）"]


def test_it_shows_times_in_the_batch_time_zone(client):
    batch = factories.BatchFactory(slug="urumqi", time_zone="Asia/Urumqi")  # UTC+6
    factories.SessionFactory(
        batch=batch,
        kind=ExamSession.MOCK,
        name="模拟",
        starts_at=MOCK_START,
        ends_at=MOCK_START + timedelta(hours=1),
    )

    html, text = page_text(client, "urumqi")

    assert task_rows(html)[0][1] == "7月29日 13:00-14:00"
    assert "Asia/Urumqi" in text


def test_it_renders_the_rules_from_the_session_fields(client, batch):
    factories.SessionFactory(
        batch=batch,
        name="正式考试 实操",
        late_after=timedelta(minutes=20),
        login_opens_before=timedelta(minutes=45),
        min_answer_time=timedelta(minutes=40),
        max_screen_leaves=3,
        requires_scratch_paper=True,
    )

    _html, text = page_text(client)

    assert "适用场次：正式考试 实操" in text
    assert "考试开始前 45 分钟，考生可登录在线考试系统进入信息确认" in text
    assert "开考 20 分钟后，未进行过本场考试首次登录的考生将视为迟到，无法参加本场考试" in text
    assert "最小答题时间为 40 分钟，开考后 40 分钟可以提交试卷" in text
    assert "系统都将统一收卷" in text
    assert "考试当天 8:00 前仅可调试设备" in text
    assert "累计达到 3 次，作答将被锁定" in text
    assert "空白 A4 草稿纸" in text


def test_it_gives_the_device_check_its_own_rules(client, device_check, formal):
    _html, text = page_text(client)

    device_rules = text.split("适用场次：设备调试", 1)[1].split("适用场次：", 1)[0]
    assert "视为迟到" not in device_rules
    assert "仅可调试设备" not in device_rules
    assert "不锁屏" in device_rules
    assert "开考后即可提交，无最小答题时间" in device_rules
    assert "A4" not in text  # no session here asks for scratch paper


def test_it_groups_sessions_with_the_same_rules(client, batch):
    factories.SessionFactory(batch=batch, name="正式考试 理论知识")
    factories.SessionFactory(
        batch=batch, name="正式考试 综合评审", starts_at=FORMAL_START + timedelta(hours=4)
    )

    _html, text = page_text(client)

    assert "适用场次：正式考试 理论知识、正式考试 综合评审" in text
    assert text.count("适用场次：") == 1


def test_it_lists_the_staffed_support_hours_and_links_to_the_entry_page(client, batch, formal):
    for day in (25, 26):
        StaffedPeriod.objects.create(
            batch=batch,
            starts_at=datetime(2023, 7, day, 1, 0, tzinfo=UTC),
            ends_at=datetime(2023, 7, day, 10, 0, tzinfo=UTC),
        )

    html, text = page_text(client)

    assert "人工支持时间： 7月25日—7月26日，每日 09:00-18:00" in text
    assert 'href="/"' in html
    assert 'id="support-link"' in html


def test_it_answers_404_for_an_unknown_batch(client):
    response = client.get("/notice/no-such-batch/")

    assert response.status_code == 404


def test_it_is_chinese_first_and_has_no_inline_script_or_style(client, formal):
    html, _text = page_text(client)

    assert '<html lang="zh-hans">' in html
    assert "<main" in html and "<header" in html and "<footer" in html
    assert 'action="/i18n/setlang/"' in html
    assert '<label for="lang-switch-select">' in html
    assert "style=" not in html and "<style" not in html
    # Data blocks (json_script, type="application/json") are not scripts; anything else needs src.
    assert re.search(r'<script(?![^>]*\b(src=|type="application/json"))', html) is None
    assert "/static/css/site.css" in html


def test_it_never_lets_the_page_be_cached_past_a_publication(client, formal):
    response = client.get("/notice/2023-07-30/")

    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "expected"),
    [
        (DEVICE_CHECK_START, DEVICE_CHECK_END, "7月25日 09:00 — 7月26日 18:00"),
        (MOCK_START, MOCK_START + timedelta(hours=1), "7月29日 15:00-16:00"),
        # 23:30 to 00:30 Beijing time crosses midnight: two days.
        (
            datetime(2023, 7, 29, 15, 30, tzinfo=UTC),
            datetime(2023, 7, 29, 16, 30, tzinfo=UTC),
            "7月29日 23:30 — 7月30日 00:30",
        ),
    ],
)
def test_it_writes_windows_the_way_the_notice_does(starts_at, ends_at, expected):
    assert selectors.notice_window(starts_at, ends_at, zoneinfo.ZoneInfo("Asia/Shanghai")) == expected
