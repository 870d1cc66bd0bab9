import pytest
from playwright.sync_api import expect
pytestmark = pytest.mark.browser
def test_dbg(page, make_seat):
    attempt = make_seat()
    msgs = []
    page.on("console", lambda m: msgs.append(m.text))
    page.on("pageerror", lambda e: msgs.append("ERR " + str(e)))
    page.goto("/")
    page.get_by_role("textbox", name="考试口令").fill(attempt.session.password)
    page.get_by_role("button", name="下一步").click()
    page.wait_for_timeout(2000)
    print(msgs, page.url, page.locator("#entry-error").inner_text())
