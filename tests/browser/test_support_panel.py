"""The support panel in a real browser: on the exam page it opens inside full screen and is
never a screen leave; on the notice page an anonymous candidate searches the FAQ and asks.

The live server is WSGI (no websockets): live replies are covered by test_live.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from exams.models import Attempt
from support.demo_faq import load_demo_faq
from support.models import Ticket
from tests.browser.conftest import api_login, enter_exam, read_db, wait_for_db

pytestmark = pytest.mark.browser

def panel_ready(page) -> None:
    """base.html includes the panel on every candidate page; wait until panel.js has wired it."""
    expect(page.locator("#support-panel")).to_have_attribute("data-ready", "true")


def support_events(page, count: int) -> None:
    """Wait for the page's support:open/close events (polled: the page's CSP forbids eval)."""
    for _ in range(100):
        if page.evaluate("window.__support.length") >= count:
            return
        page.wait_for_timeout(50)


def test_on_the_exam_page_help_opens_inside_full_screen_and_is_never_a_leave(page, context, make_seat):
    attempt = make_seat(max_screen_leaves=2)
    read_db(lambda: load_demo_faq(None))
    api_login(context, attempt)
    enter_exam(page)
    assert page.evaluate("Boolean(document.fullscreenElement)")
    panel_ready(page)
    page.evaluate("""() => {
      window.__support = [];
      addEventListener("support:open", () => __support.push("open"));
      addEventListener("support:close", () => __support.push("close"));
    }""")

    page.locator("#support-link").click()
    panel = page.get_by_role("dialog", name="技术支持")
    expect(panel).to_be_visible()
    assert page.evaluate("Boolean(document.fullscreenElement)")
    assert page.evaluate("document.hasFocus()")
    expect(panel.get_by_role("textbox", name="联系方式（手机号或邮箱）")).to_have_count(0)
    expect(panel.get_by_text("考试全屏状态下无法上传截图")).to_be_visible()

    panel.get_by_role("searchbox", name="输入您的问题").fill("网络断了")
    first_match = panel.locator("[data-support-faq-results] summary").first
    expect(first_match).to_have_text("考试过程中网络断了怎么办？")

    panel.get_by_role("combobox", name="问题类型").select_option("network")
    panel.get_by_role("textbox", name="问题描述").fill("网络断了两次，<script>alert(1)</script>")
    panel.get_by_role("button", name="提交工单").click()
    expect(panel.locator(".support-ticket")).to_have_count(1)
    expect(panel.locator(".support-ticket__status")).to_have_text("待处理")
    expect(panel.locator(".support-message__text").first).to_have_text("网络断了两次，<script>alert(1)</script>")

    ticket = wait_for_db(lambda: Ticket.objects.first())
    assert ticket.attempt_id == attempt.id and ticket.context["client"]["reported"]["fullscreen"] is True

    panel.get_by_role("button", name="关闭").click()
    expect(panel).not_to_be_visible()
    assert page.evaluate("Boolean(document.fullscreenElement)")
    support_events(page, 2)  # "close" fires as a task after dialog.close()
    assert page.evaluate("window.__support") == ["open", "close"]
    assert read_db(lambda: Attempt.objects.get(pk=attempt.pk).leaves_used) == 0

    # Esc closes the dialog too (a headed browser in full screen may also leave full screen on
    # Esc: the exam page can hold Esc with navigator.keyboard.lock; see panel.js).
    page.locator("#support-link").click()
    expect(panel).to_be_visible()
    panel.get_by_role("searchbox", name="输入您的问题").fill("")  # Esc in a filled search box clears it
    page.keyboard.press("Escape")
    expect(panel).not_to_be_visible()
    support_events(page, 4)
    assert page.evaluate("window.__support") == ["open", "close", "open", "close"]


def test_on_the_notice_page_an_anonymous_candidate_asks_with_a_contact(page, make_seat):
    attempt = make_seat()
    batch = attempt.session.batch
    read_db(lambda: load_demo_faq(None))
    page.goto(f"/notice/{batch.slug}/")
    panel_ready(page)

    page.locator("#support-link").click()
    panel = page.get_by_role("dialog", name="技术支持")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("searchbox", name="输入您的问题")).to_be_focused()
    expect(panel.locator("[data-support-faq-results] summary")).to_have_count(16)  # the whole FAQ

    text = panel.get_by_role("textbox", name="问题描述")
    text.fill("拍照按钮在哪")
    suggestion = panel.locator("[data-support-suggest-results] summary").first
    expect(suggestion).to_have_text("登录时的拍照按钮在哪里？")

    panel.get_by_role("button", name="提交工单").click()
    expect(panel.locator('[data-support-error="contact"]')).to_have_text(
        "请留下联系方式（手机号或邮箱），以便工作人员联系您。"
    )
    panel.get_by_role("textbox", name="联系方式（手机号或邮箱）").fill("13800000000")
    panel.get_by_role("button", name="提交工单").click()
    expect(panel.locator(".support-ticket")).to_have_count(1)
    ticket = wait_for_db(lambda: Ticket.objects.first())
    assert ticket.batch_id == batch.id and ticket.contact == "13800000000"

    page.keyboard.press("Escape")
    expect(panel).not_to_be_visible()
    expect(page.locator("#support-link")).to_be_focused()
