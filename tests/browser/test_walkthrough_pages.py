"""Issue 16: the walk-through, repeated by a machine. Every candidate page and every staff page
this project customises, at 1366x768, 1920x1080, 390x844 and 200 % zoom, in Chinese and
English: axe finds no critical or serious issue, nothing is wider than the window, and on the
candidate pages the content is never wider than the header.

One browser context per language and viewport walks all the pages (a fresh stack per page
would cost minutes); every problem is collected and reported together.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import api_login

pytestmark = pytest.mark.browser

axe = Axe()

# 200 % zoom of a 1366x768 window: half the CSS pixels, each drawn twice as large.
VIEWPORTS = {
    "1366x768": ({"width": 1366, "height": 768}, 1),
    "1920x1080": ({"width": 1920, "height": 1080}, 1),
    "390x844": ({"width": 390, "height": 844}, 3),
    "200%": ({"width": 683, "height": 384}, 2),
}
LANGUAGES = {"zh-hans": "zh-CN", "en": "en-US"}
PASSWORD = "correct horse battery staple"  # tests/factories.staff_user

# No horizontal scrolling; candidate pages: the content column within the header's.
LAYOUT = """(candidate) => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width + 1) {
    const wide = [...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > width + 1 && el.getClientRects().length)
      .slice(-3).map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + (el.className && typeof el.className === "string" ? "." + el.className.split(" ")[0] : ""));
    problems.push(`page ${document.documentElement.scrollWidth}px wide in a ${width}px window: ${wide}`);
  }
  if (candidate) {
    const header = document.querySelector(".site-header__inner");
    const main = document.querySelector("#main");
    if (header && main) {
      const h = header.getBoundingClientRect();
      for (const el of main.querySelectorAll(":scope > *, :scope > * > *")) {
        const r = el.getBoundingClientRect();
        if (!r.width || getComputedStyle(el).position === "fixed") continue;
        if (r.left < h.left - 1 || r.right > h.right + 1) {
          problems.push(`content ${el.tagName.toLowerCase()}#${el.id} ${Math.round(r.left)}-${Math.round(r.right)}`
            + ` outside the header ${Math.round(h.left)}-${Math.round(h.right)}`);
          break;
        }
      }
    }
  }
  return problems;
}"""


def check(page, name: str, problems: list[str], *, candidate: bool) -> None:
    page.wait_for_load_state("load")
    result = axe.run(page)
    for v in result.response["violations"]:
        if v["impact"] in ("serious", "critical"):
            targets = [n["target"] for n in v["nodes"]][:3]
            problems.append(f"{name}: axe {v['id']} ({v['impact']}, {len(v['nodes'])}x) {targets}")
    for problem in page.evaluate(LAYOUT, candidate):
        problems.append(f"{name}: {problem}")


@pytest.fixture
def walk(make_seat):
    """The people and rows the pages show: a candidate answering, one finished, a ticket, staff."""
    from exams.models import Attempt
    from support.context import attempt_context
    from support.models import StaffedPeriod, Ticket
    from tests import factories

    answering = make_seat(max_screen_leaves=None)
    finished, collected = make_seat(), make_seat()
    now = timezone.now()
    Attempt.objects.filter(pk=finished.pk).update(
        state="submitted", receipt="R-" + secrets.token_hex(4), finished_at=now, started_at=now,
    )
    Attempt.objects.filter(pk=collected.pk).update(
        state="collected", receipt="R-" + secrets.token_hex(4), finished_at=now, started_at=now,
    )
    batch = answering.session.batch
    StaffedPeriod.objects.create(batch=batch, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=8))
    context = attempt_context(Attempt.objects.select_related("session", "registration__candidate").get(
        pk=answering.pk), now)
    context.update({"entry": "logged_in", "client": {"user_agent": "Mozilla/5.0 Chrome/120", "reported": {
        "page": "/exam/", "online": True, "client_time": now.isoformat(), "time_zone": "Asia/Shanghai"}}})
    ticket = Ticket.objects.create(
        batch=batch, session=answering.session, attempt=answering, category=Ticket.CAMERA,
        text="摄像头黑屏", context=context, token=secrets.token_hex(16), created_at=now,
        waiting_since=now, updated_at=now,
    )
    factories.staff_user("walker", superuser=True)
    return {"answering": answering, "finished": finished, "collected": collected, "ticket": ticket}


def candidate_pages(page, context, walk, problems: list[str], label: str) -> None:
    from exams.models import Attempt

    answering = walk["answering"]
    page.goto("/")
    check(page, f"{label} entry", problems, candidate=True)
    page.fill("#password", answering.session.password)
    page.locator("#entry-form button[type=submit]").click()
    page.wait_for_url("**/login/")
    expect(page.locator("#lock-warning")).not_to_be_empty()
    check(page, f"{label} login", problems, candidate=True)

    api_login(context, answering)
    page.goto("/exam/photo/")
    check(page, f"{label} photo", problems, candidate=True)
    page.goto("/exam/confirm/")
    check(page, f"{label} confirm", problems, candidate=True)
    page.goto("/exam/")
    gate = page.locator("#fullscreen-gate button").first
    expect(gate).to_be_visible()
    check(page, f"{label} exam gate", problems, candidate=True)
    gate.click()
    expect(page.locator("#question-nav button").first).to_be_visible()
    check(page, f"{label} exam answering (full screen)", problems, candidate=True)
    page.locator("#support-link").click()
    expect(page.locator("#support-panel")).to_be_visible()
    check(page, f"{label} exam support panel", problems, candidate=True)

    for state, path in (("finished", "/exam/done/"), ("collected", "/exam/collected/"), ("locked", "/exam/locked/")):
        if state == "locked":  # a locked attempt refuses logins: its page is the one already open
            api_login(context, walk["answering"])
            Attempt.objects.filter(pk=walk["answering"].pk).update(locked=True)
        else:
            api_login(context, walk[state])
        page.goto(path)
        expect(page).to_have_url(re.compile(re.escape(path) + "$"))
        check(page, f"{label} {state}", problems, candidate=True)
        if state == "locked":
            Attempt.objects.filter(pk=walk["answering"].pk).update(locked=False)
    page.goto(f"/notice/{answering.session.batch.slug}/")
    check(page, f"{label} notice", problems, candidate=True)


def staff_pages(page, walk, problems: list[str], label: str) -> None:
    answering, ticket = walk["answering"], walk["ticket"]
    session = answering.session
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", "walker")
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/admin/")
    for name, path in (
        ("batch change", f"/admin/exams/exambatch/{session.batch_id}/change/"),
        ("session change", f"/admin/exams/examsession/{session.pk}/change/"),
        ("attempt list", "/admin/exams/attempt/"),
        ("attempt change", f"/admin/exams/attempt/{answering.pk}/change/"),
        ("attempt actions", f"/monitor/attempt/{answering.pk}/"),
        ("paper change", f"/admin/exams/paper/{session.paper_id}/change/"),
        ("registration change", f"/admin/candidates/registration/{answering.registration_id}/change/"),
        ("monitor", f"/monitor/{session.pk}/"),
        ("review queue", f"/proctoring/review/session/{session.pk}/"),
        ("review attempt", f"/proctoring/review/attempt/{answering.pk}/"),
        ("support queue", "/support/queue/"),
        ("support ticket", f"/support/queue/?ticket={ticket.pk}"),
        ("results console", "/admin/results/sessionresult/"),
    ):
        response = page.goto(path)
        assert response is not None and response.ok, f"{label} {name}: {path} answered {response and response.status}"
        check(page, f"{label} {name}", problems, candidate=False)
        if name == "attempt list" and page.viewport_size and page.viewport_size["width"] >= 1366:
            # compact: one line per attempt, every column in the window
            rows = page.evaluate("""() => [...document.querySelectorAll('#result_list tbody tr')].map(
                (tr) => [tr.getBoundingClientRect().height, tr.getBoundingClientRect().right])""")
            assert rows, f"{label} attempt list: no rows"
            for height, right in rows:
                if height > 48 or right > page.viewport_size["width"]:
                    problems.append(f"{label} attempt list: a row {height:.0f}px tall, ending at {right:.0f}px")


def walk_all(new_context, server, walk, language: str, *, staff: bool) -> list[str]:
    problems: list[str] = []
    for view, (viewport, scale) in VIEWPORTS.items():
        context = new_context(
            permissions=["camera", "microphone"], locale=LANGUAGES[language], timezone_id="Asia/Shanghai",
            viewport=viewport, device_scale_factor=scale,
        )
        context.add_cookies([{"name": "django_language", "value": language, "url": server.url}])
        page = context.new_page()
        label = f"[{language} {view}]"
        if staff:
            staff_pages(page, walk, problems, label)
        else:
            candidate_pages(page, context, walk, problems, label)
        context.close()
    return problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_candidate_page_passes_axe_and_fits_at_every_viewport(new_context, server, walk, language):
    problems = walk_all(new_context, server, walk, language, staff=False)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_customised_staff_page_passes_axe_and_fits_at_every_viewport(new_context, server, walk, language):
    problems = walk_all(new_context, server, walk, language, staff=True)
    assert not problems, "\n".join(problems)
