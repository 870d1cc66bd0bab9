"""Issue 14: no ceiling on evidence (quotas: 429 throttled with Retry-After), bad images (400
invalid_image everywhere), events after collection (409 collected)."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from exams.models import Attempt
from proctoring.models import Evidence, ProctorEvent
from tests.helpers import START, at
from tests.proctoring.conftest import jpeg_bytes
from tests.proctoring.test_phone import SNAPSHOT, T0, Phone, pair_link

IN_EXAM = START + timedelta(minutes=1)


@pytest.fixture
def answering(logged_in, attempt):
    with at(IN_EXAM):
        assert logged_in.post("attempt/start/").status_code == 200
    return logged_in


def assert_throttled(response):
    assert response.status_code == 429, response.content
    assert response.json()["code"] == "throttled"
    retry = int(response["Retry-After"])
    assert retry >= 1 and response.json()["retry_after"] == retry
    return retry


# --- snapshots ---------------------------------------------------------------------------------


def test_snapshots_are_limited_to_about_two_per_interval(answering, attempt):
    # Finding: 150 snapshots in 6.6 s were all accepted. Interval 30 s (the factory's default).
    codes = []
    for n in range(3):
        with at(IN_EXAM + timedelta(seconds=n)):
            codes.append(answering.photo(jpeg_bytes(), kind="snapshot", capture_id=f"s{n}"))
    assert [r.status_code for r in codes[:2]] == [201, 201]
    retry = assert_throttled(codes[2])
    assert retry <= 30
    assert Evidence.objects.filter(attempt=attempt, kind="snapshot").count() == 2
    with at(IN_EXAM + timedelta(seconds=31)):
        assert answering.photo(jpeg_bytes(), kind="snapshot", capture_id="later").status_code == 201


def test_a_repeated_capture_is_not_counted_twice(answering, attempt):
    with at(IN_EXAM):
        for _ in range(4):
            assert answering.photo(jpeg_bytes(), kind="snapshot", capture_id="same").status_code == 201
        assert answering.photo(jpeg_bytes(), kind="snapshot", capture_id="other").status_code == 201


def test_evidence_bytes_per_attempt_are_capped(answering, attempt, settings):
    settings.EVIDENCE_MAX_BYTES_PER_ATTEMPT = 1500
    with at(IN_EXAM):
        first = answering.photo(jpeg_bytes(), kind="login_photo", capture_id="a")
    size = Evidence.objects.get(attempt=attempt).size
    settings.EVIDENCE_MAX_BYTES_PER_ATTEMPT = size + 10
    with at(IN_EXAM + timedelta(minutes=5)):
        refused = answering.photo(jpeg_bytes(color=(1, 2, 3)), kind="snapshot", capture_id="b")
    assert first.status_code == 201
    assert_throttled(refused)
    assert Evidence.objects.filter(attempt=attempt).count() == 1


# --- events ----------------------------------------------------------------------------------


def test_events_per_attempt_per_minute_are_capped(answering, attempt, settings):
    # Finding: 5,000 events in 1 s were all accepted.
    settings.EVENTS_PER_ATTEMPT_PER_MINUTE = 10
    with at(IN_EXAM + timedelta(seconds=1)):
        ok = answering.events(*[{"kind": "focus_loss"}] * 10)
    with at(IN_EXAM + timedelta(seconds=20)):
        refused = answering.events({"kind": "focus_loss"})
    assert ok.status_code == 200
    retry = assert_throttled(refused)
    assert 40 <= retry <= 42  # the first counted event leaves the window 41 s later
    assert ProctorEvent.objects.filter(attempt=attempt, kind="focus_loss").count() == 10
    with at(IN_EXAM + timedelta(seconds=62)):
        assert answering.events({"kind": "focus_loss"}).status_code == 200


def test_events_after_collection_are_refused_with_collected(answering, attempt):
    Attempt.objects.filter(pk=attempt.pk).update(state="collected")
    with at(IN_EXAM + timedelta(minutes=1)):
        response = answering.events({"kind": "screen_leave"})
    assert response.status_code == 409 and response.json()["code"] == "collected"
    assert not ProctorEvent.objects.filter(attempt=attempt, kind="screen_leave").exists()


def test_events_after_the_submit_are_refused_with_submitted(answering, attempt):
    Attempt.objects.filter(pk=attempt.pk).update(state="submitted")
    with at(IN_EXAM + timedelta(minutes=1)):
        response = answering.events({"kind": "focus_loss"})
    assert response.status_code == 409 and response.json()["code"] == "submitted"


# --- bad images ------------------------------------------------------------------------------


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that claims huge dimensions (a decompression bomb's header)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def truncated_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (10, 200, 30)).save(out, format="JPEG")
    data = out.getvalue()
    return data[: len(data) // 2]  # the header is whole, the pixel data stops halfway


BAD_IMAGES = {
    "bomb": png_header_only(20000, 20000),
    "huge": png_header_only(9000, 100),
    "truncated": truncated_jpeg(),
}


@pytest.mark.parametrize("name", sorted(BAD_IMAGES))
def test_a_bad_image_is_a_400_invalid_image_for_the_candidate(answering, attempt, name):
    with at(IN_EXAM):
        response = answering.photo(BAD_IMAGES[name], kind="snapshot", capture_id=name, name="x.png")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_image"
    assert not Evidence.objects.exists()


@pytest.mark.parametrize("name", sorted(BAD_IMAGES))
def test_a_bad_image_is_a_400_invalid_image_for_the_phone(logged_in, name):
    phone = Phone()
    phone.start(pair_link(logged_in))
    with at(T0):
        response = phone.client.post(
            SNAPSHOT, {"photo": SimpleUploadedFile("p.png", BAD_IMAGES[name], content_type="image/png")},
            HTTP_X_CSRFTOKEN=phone.csrf,
        )
    assert response.status_code == 400 and response.json()["code"] == "invalid_image"


@pytest.mark.parametrize("name", sorted(BAD_IMAGES))
def test_a_bad_image_is_a_400_invalid_image_on_the_anonymous_ticket(browser_client, name):
    # Finding: a 48 KB PNG of 20000x20000 gave an unauthenticated 500.
    upload = SimpleUploadedFile("shot.png", BAD_IMAGES[name], content_type="image/png")
    response = browser_client.support_post(
        "tickets/", {"text": "截图", "contact": "1"}, files={"screenshot": upload}
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_image"


def test_a_bad_registered_photo_is_reported_not_a_500(db, attempt):
    from proctoring.services.registered_photos import registered_photos_import

    candidate = attempt.registration.candidate
    report = registered_photos_import(
        files=[(f"{candidate.id_number}.png", BAD_IMAGES["bomb"])], actor=None, now=START
    )
    from proctoring.models import RegisteredPhoto

    assert not RegisteredPhoto.objects.exists()
    assert [name for name, _reason in report.invalid] == [f"{candidate.id_number}.png"]


def test_the_snapshot_and_its_thumbnail_come_from_one_decode_and_are_both_re_encoded():
    """Issue 17: the wall's thumbnail is reduced from the decoded pixels (no second decode);
    both files are fresh JPEGs of at most the sizes the wall and review expect."""
    import io as _io

    from PIL import Image as _Image

    from examsite.images import THUMBNAIL_EDGE, image_to_jpeg_and_thumbnail

    source = _Image.new("RGB", (640, 480), (30, 120, 200))
    png = _io.BytesIO()
    source.save(png, format="PNG", pnginfo=None)
    jpeg, width, height, thumb = image_to_jpeg_and_thumbnail(png.getvalue())
    assert (width, height) == (640, 480)
    with _Image.open(_io.BytesIO(jpeg)) as full, _Image.open(_io.BytesIO(thumb)) as small:
        assert full.format == small.format == "JPEG"
        assert full.size == (640, 480) and max(small.size) <= THUMBNAIL_EDGE
        assert small.size == (160, 120)
        assert abs(small.convert("RGB").getpixel((80, 60))[2] - 200) <= 4  # the same picture
