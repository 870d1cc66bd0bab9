"""Issue 16: the support panel's category starts at what the page is about, and the dialog has
no landmark of its own (one banner per page: the site header)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests import factories
from tests.helpers import START, at


def selected_category(html: str) -> str:
    select = html.split('id="support-category"', 1)[1].split("</select>", 1)[0]
    found = re.findall(r'<option value="(\w+)" selected>', select)
    assert len(found) == 1, select
    return found[0]


@pytest.mark.parametrize(("path", "category"), [("/", "login"), ("/login/", "login")])
def test_the_login_pages_default_to_a_login_problem(client, db, path, category):
    assert selected_category(client.get(path).content.decode()) == category


def test_after_login_the_category_follows_the_page(logged_in):
    with at(START + timedelta(minutes=1)):
        pages = {path: logged_in.client.get(path).content.decode()
                 for path in ("/exam/photo/", "/exam/confirm/", "/exam/")}
    assert selected_category(pages["/exam/photo/"]) == "camera"
    assert selected_category(pages["/exam/confirm/"]) == "login"
    assert selected_category(pages["/exam/"]) == "submission"  # 答题/交卷 on the answering page
    for html in pages.values():
        dialog = html.split('<dialog id="support-panel"', 1)[1].split("</dialog>", 1)[0]
        assert "<header" not in dialog  # a header here would be a second banner landmark


def test_the_device_check_page_defaults_to_a_device_problem(make_client, paper, candidate):
    session = factories.SessionFactory(paper=paper, batch=paper.batch, kind="device_check")
    attempt = factories.AttemptFactory(
        registration=factories.RegistrationFactory(candidate=candidate, session=session)
    )
    client = make_client()
    with at(START + timedelta(minutes=1)):
        assert client.login_as(attempt).status_code == 200
        html = client.client.get("/exam/").content.decode()
    assert selected_category(html) == "camera"
