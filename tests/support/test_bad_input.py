"""Bad input is refused with a code naming the problem; a script in a ticket stays text."""

from __future__ import annotations

import hashlib
import os

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from examsite.storage import evidence_storage
from support.models import Ticket
from tests.support.conftest import png_bytes

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _noise_png(side: int) -> bytes:
    import io

    from PIL import Image

    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_empty_text_is_refused_with_a_code_and_nothing_is_saved(anonymous):
    for text in ("", "   ", None):
        response = anonymous.ask({"text": text, "contact": "13800000000"})
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
        assert response.json()["errors"] == {"text": "请描述您遇到的问题。"}
    assert not Ticket.objects.exists()


def test_text_over_the_limit_is_refused(anonymous):
    response = anonymous.ask({"text": "长" * 2001, "contact": "1"})
    assert response.status_code == 400 and "text" in response.json()["errors"]


def test_an_empty_follow_up_is_refused(anonymous):
    ticket_id = anonymous.ask({"text": "问题", "contact": "1"}).json()["ticket"]["id"]
    response = anonymous.follow_up(ticket_id, "  ")
    assert response.status_code == 400 and response.json()["errors"] == {"text": "请输入内容。"}


def test_a_screenshot_is_re_encoded_and_stored_privately(anonymous):
    upload = SimpleUploadedFile("shot.png", png_bytes((40, 30)), content_type="image/png")
    response = anonymous.ask({"text": "看截图", "contact": "1"}, files={"screenshot": upload})
    assert response.status_code == 201, response.content
    assert response.json()["ticket"]["has_screenshot"] is True
    ticket = Ticket.objects.get()
    assert ticket.screenshot_name.startswith("support/") and ticket.screenshot_name.endswith(".jpg")
    with evidence_storage.open(ticket.screenshot_name, "rb") as stored:
        data = stored.read()
    assert data[:3] == b"\xff\xd8\xff"  # JPEG, whatever was uploaded
    assert ticket.screenshot_sha256 == hashlib.sha256(data).hexdigest()
    assert "screenshot_name" not in str(response.json())


def test_an_oversized_screenshot_is_413_and_nothing_is_saved(anonymous, settings):
    settings.EVIDENCE_MAX_BYTES = 2000
    upload = SimpleUploadedFile("big.png", _noise_png(60), content_type="image/png")
    response = anonymous.ask({"text": "截图太大", "contact": "1"}, files={"screenshot": upload})
    assert response.status_code == 413
    assert response.json()["code"] == "upload_too_large"
    assert not Ticket.objects.exists()


def test_a_file_that_is_not_an_image_is_415(anonymous):
    upload = SimpleUploadedFile("shot.png", SCRIPT.encode(), content_type="image/png")
    response = anonymous.ask({"text": "假图片", "contact": "1"}, files={"screenshot": upload})
    assert response.status_code == 415
    assert response.json()["code"] == "not_an_image"
    assert not Ticket.objects.exists()


def test_a_script_in_a_ticket_is_rendered_inert_on_the_queue_page_and_in_the_admin(anonymous, staff_client):
    ticket_id = anonymous.ask(
        {"text": SCRIPT, "contact": SCRIPT[:90], "client": {"page": SCRIPT}}
    ).json()["ticket"]["id"]
    assert Ticket.objects.get().text == SCRIPT  # stored as typed

    pages = [
        staff_client.get("/support/queue/"),
        staff_client.get(f"/support/queue/?ticket={ticket_id}"),
        staff_client.get(f"/support/queue/{ticket_id}/live/"),
        staff_client.get("/support/queue/list/"),
    ]
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    pages += [admin.get("/admin/support/ticket/"), admin.get(f"/admin/support/ticket/{ticket_id}/change/")]
    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200, page.request
        assert "<script>alert" not in html
        assert "<img src=x onerror" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in pages[1].content.decode()
    assert "&lt;script&gt;alert" in pages[5].content.decode()
