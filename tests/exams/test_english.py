"""The English catalogue (locale/en) is picked up for pages and for the candidate API."""

import json

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db


def _entry_refusal(client: Client):
    client.get("/api/v1/candidate/csrf/")
    return client.post(
        "/api/v1/candidate/entry/", data=json.dumps({"password": "nope"}),
        content_type="application/json", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )


def _assert_english_entry_page(response):
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Remote Online Exam" in html  # 远程在线考试
    assert "Exam password" in html  # 考试口令 (the field label)
    assert "Technical support" in html  # 技术支持
    assert "远程在线考试" not in html
    assert "考试口令" not in html


def test_entry_page_is_chinese_by_default(client):
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "远程在线考试" in html
    assert "考试口令" in html


def test_an_english_browser_still_gets_chinese_until_the_candidate_switches(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in html and "考试口令" in html


def test_an_unknown_language_cookie_falls_back_to_chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert '<html lang="zh-hans">' in client.get("/").content.decode()


def test_entry_page_follows_the_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    _assert_english_entry_page(client.get("/"))


def test_language_switch_form_sets_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    _assert_english_entry_page(client.get("/"))


def test_candidate_api_refusal_is_english_with_the_same_code():
    chinese = _entry_refusal(Client(enforce_csrf_checks=True))
    english_client = Client(enforce_csrf_checks=True)
    english_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = _entry_refusal(english_client)

    assert english.status_code == chinese.status_code
    assert chinese.json()["code"] == english.json()["code"] == "unknown_password"
    assert "口令" in chinese.json()["detail"]
    detail = english.json()["detail"]
    assert detail.startswith("This exam password does not exist.")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in detail)
