"""Evidence uploads: refusals leave nothing behind; a repeated capture is stored once."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from PIL import Image

from proctoring.models import Evidence
from tests.helpers import START, at
from tests.proctoring.conftest import HTML, SVG, jpeg_bytes

PHOTO = "/api/v1/candidate/attempt/photo/"


def stored_files(root):
    """The stored captures (each also has its small derivative, ``.thumb.jpg``)."""
    return [p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".thumb.jpg")]


@pytest.fixture
def uploading(logged_in):
    with at(START + timedelta(minutes=1)):
        yield logged_in


def test_a_snapshot_is_stored_privately_as_a_reencoded_jpeg_with_its_hash(uploading, attempt, evidence_root):
    png = jpeg_bytes(fmt="PNG")
    response = uploading.photo(
        png, kind="snapshot", capture_id="cap-1", captured_at="2023-07-30T01:01:00+00:00"
    )
    assert response.status_code == 201
    evidence = Evidence.objects.get(attempt=attempt)
    path = evidence_root / evidence.storage_name
    data = path.read_bytes()
    assert data[:3] == b"\xff\xd8\xff"  # JPEG, whatever was sent
    assert evidence.sha256 == hashlib.sha256(data).hexdigest() == response.json()["sha256"]
    assert evidence.size == len(data)
    assert (evidence.kind, evidence.capture_id) == ("snapshot", "cap-1")
    assert evidence.captured_at.isoformat() == "2023-07-30T01:01:00+00:00"
    assert evidence.received_at == START + timedelta(minutes=1)


def test_an_oversized_upload_is_refused_with_413_and_not_stored(uploading, settings, evidence_root):
    settings.EVIDENCE_MAX_BYTES = 2000
    out = io.BytesIO()
    Image.effect_noise((400, 300), 80).convert("RGB").save(out, format="JPEG", quality=95)
    big = out.getvalue()
    assert len(big) > 2000
    response = uploading.photo(big, kind="snapshot", capture_id="big")
    assert response.status_code == 413
    assert response.json()["code"] == "upload_too_large"
    assert Evidence.objects.count() == 0
    assert stored_files(evidence_root) == []


@pytest.mark.parametrize(
    ("payload", "name", "content_type"),
    [
        (b"just some text, not a picture", "notes.txt", "text/plain"),
        (SVG, "photo.jpg", "image/jpeg"),  # an SVG renamed .jpg
        (HTML, "photo.jpg", "image/jpeg"),  # an HTML page renamed .jpg
        (b"GIF89a" + b"\x00" * 40, "photo.jpg", "image/jpeg"),  # a broken GIF header
        (jpeg_bytes()[:40], "photo.jpg", "image/jpeg"),  # a truncated JPEG
    ],
    ids=["text", "svg-as-jpg", "html-as-jpg", "gif-garbage", "truncated-jpeg"],
)
def test_anything_but_a_decodable_image_is_refused_with_415(
    uploading, evidence_root, payload, name, content_type
):
    response = uploading.photo(payload, name=name, content_type=content_type, kind="snapshot", capture_id="x")
    assert response.status_code == 415
    assert response.json()["code"] == "not_an_image"
    assert Evidence.objects.count() == 0
    assert stored_files(evidence_root) == []


def test_the_uploaded_file_name_is_ignored_so_no_path_traversal_is_possible(
    uploading, evidence_root, tmp_path
):
    response = uploading.photo(
        jpeg_bytes(), name="../../../../outside.jpg", kind="snapshot", capture_id="../../evil"
    )
    assert response.status_code == 201
    evidence = Evidence.objects.get()
    assert ".." not in evidence.storage_name
    assert "outside" not in evidence.storage_name
    files = stored_files(evidence_root)
    assert len(files) == 2  # the image and its thumbnail for the live wall
    assert all(f.resolve().is_relative_to(evidence_root.resolve()) for f in files)
    assert not list(tmp_path.rglob("outside.jpg"))
    assert not (tmp_path / "evil").exists()


def test_a_repeated_upload_of_the_same_capture_is_stored_once(uploading, attempt, evidence_root):
    first = uploading.photo(jpeg_bytes(), kind="snapshot", capture_id="same")
    second = uploading.photo(jpeg_bytes(color=(1, 2, 3)), kind="snapshot", capture_id="same")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert Evidence.objects.filter(attempt=attempt).count() == 1
    assert len(stored_files(evidence_root)) == 2  # one image and its thumbnail


def test_a_candidate_cannot_upload_as_the_phone_or_with_an_unknown_kind(uploading):
    for kind in ("phone_snapshot", "avatar"):
        response = uploading.photo(jpeg_bytes(), kind=kind, capture_id=f"k-{kind}")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_event"
    assert Evidence.objects.count() == 0


def test_an_upload_without_the_csrf_token_is_refused(uploading):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = uploading.client.post(
        PHOTO, {"photo": SimpleUploadedFile("a.jpg", jpeg_bytes()), "kind": "snapshot"}
    )
    assert response.status_code == 403
    assert Evidence.objects.count() == 0
