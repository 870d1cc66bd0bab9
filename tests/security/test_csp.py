"""Content-Security-Policy on every page; no inline code in any template; uploads never HTML."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from proctoring.models import Evidence
from tests import factories
from tests.helpers import START, CandidateClient, at

BASE_DIR = Path(settings.BASE_DIR)
CANDIDATE_PAGES = [
    "/",
    "/login/",
    "/exam/photo/",
    "/exam/confirm/",
    "/exam/",
    "/exam/done/",
    "/exam/collected/",
    "/exam/locked/",
]
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"(href|src|action)\s*=\s*[\"']\s*javascript:", re.I)


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    out = {}
    for part in header.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def assert_strict(response):
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    assert policy["media-src"] == ["'self'", "blob:"]
    assert policy["connect-src"][0] == "'self'"
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]


def assert_no_inline_code(html: str, where: str):
    assert not INLINE_SCRIPT.search(html), f"inline <script> in {where}"
    assert not STYLE_ATTRIBUTE.search(html), f"style attribute in {where}"
    assert not EVENT_HANDLER.search(html), f"on...= handler in {where}"
    assert not JS_URL.search(html), f"javascript: URL in {where}"


def project_templates() -> list[Path]:
    roots = [
        BASE_DIR / "templates",
        *(BASE_DIR / app / "templates" for app in ("exams", "candidates", "proctoring", "support")),
    ]
    return sorted(p for root in roots if root.exists() for p in root.rglob("*.html"))


def test_there_are_templates_to_scan():
    names = {p.name for p in project_templates()}
    assert {"base.html", "notice.html"} <= names


@pytest.mark.parametrize("template", project_templates(), ids=lambda p: str(p.relative_to(BASE_DIR)))
def test_no_template_has_inline_scripts_styles_or_handlers(template):
    assert_no_inline_code(template.read_text(encoding="utf-8"), str(template.relative_to(BASE_DIR)))


@pytest.mark.django_db
def test_every_candidate_page_and_the_notice_carry_the_strict_policy(browser_client, attempt):
    session, candidate = attempt.session, attempt.registration.candidate
    anonymous = Client()
    with at(START - timedelta(minutes=5)):
        before = [(path, anonymous.get(path)) for path in CANDIDATE_PAGES]
        assert browser_client.login(session, candidate).status_code == 200
        after = [(path, browser_client.client.get(path)) for path in CANDIDATE_PAGES]
        notice = anonymous.get(f"/notice/{session.batch.slug}/")
    for path, response in [*before, *after, ("notice", notice)]:
        assert response.status_code < 500, path
        assert_strict(response)
        if response.status_code == 200 and "text/html" in response["Content-Type"]:
            assert_no_inline_code(response.content.decode(), path)
    assert notice.status_code == 200


@pytest.mark.django_db
def test_the_api_and_the_phone_pages_carry_the_policy_too(db):
    assert_strict(Client().get("/api/v1/candidate/csrf/"))
    phone = Client().get("/proctoring/phone/")
    assert phone.status_code < 500
    assert_strict(phone)


@pytest.mark.django_db
def test_the_admin_may_use_inline_styles_but_never_inline_scripts():
    client = Client()
    client.force_login(factories.staff_user("boss", superuser=True))
    for path in ("/admin/", "/admin/login/", "/admin/exams/exambatch/"):
        policy = directives(client.get(path))
        assert policy["script-src"] == ["'self'"], path
        assert policy["style-src"] == ["'self'", "'unsafe-inline'"], path
        assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
def test_the_api_docs_load_their_scripts_from_our_own_origin():
    client = Client()
    client.force_login(factories.staff_user("boss", superuser=True))
    page = client.get("/api/docs/")
    html = page.content.decode()
    assert page.status_code == 200
    assert not INLINE_SCRIPT.search(html)
    assert re.findall(r'<script src="([^"]+)"', html)
    assert all(src.startswith("/") for src in re.findall(r'<script src="([^"]+)"', html))
    assert directives(page)["script-src"] == ["'self'"]


# --- uploads are never served as HTML --------------------------------------------------------------

HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 200, 30)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def evidence_root(settings, tmp_path):
    settings.EVIDENCE_ROOT = str(tmp_path)
    return tmp_path


def _upload(client: CandidateClient, data: bytes, name: str, content_type: str):
    return client.client.post(
        "/api/v1/candidate/attempt/photo/",
        {"photo": SimpleUploadedFile(name, data, content_type=content_type)},
        HTTP_X_CSRFTOKEN=client.csrf,
    )


@pytest.mark.django_db
def test_an_html_file_sent_as_a_photo_is_refused_and_nothing_is_stored(
    browser_client, attempt, evidence_root
):
    with at(START - timedelta(minutes=5)):
        assert browser_client.login(attempt.session, attempt.registration.candidate).status_code == 200
        response = _upload(browser_client, HTML, "photo.jpg", "image/jpeg")
    assert 400 <= response.status_code < 500
    assert response.json()["code"]
    assert not Evidence.objects.exists()
    assert not any(evidence_root.rglob("*.*"))


@pytest.mark.django_db
def test_evidence_is_served_as_a_sandboxed_nosniff_jpeg(browser_client, attempt, evidence_root):
    with at(START - timedelta(minutes=5)):
        assert browser_client.login(attempt.session, attempt.registration.candidate).status_code == 200
        assert _upload(browser_client, jpeg_bytes(), "photo.png", "text/html").status_code == 201
    evidence = Evidence.objects.get()
    staff = Client()
    staff.force_login(factories.staff_user("boss", superuser=True))
    response = staff.get(f"/proctoring/evidence/{evidence.id}/")
    body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert body[:3] == b"\xff\xd8\xff"
