"""Registered photos imported through the admin, by ID number, stored like evidence."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from proctoring.models import RegisteredPhoto
from tests import factories
from tests.proctoring.conftest import SVG, jpeg_bytes

IMPORT = "/admin/proctoring/registeredphoto/import/"


@pytest.fixture
def organizer_client(organizer):
    client = Client()
    client.force_login(organizer)
    return client


def test_an_organizer_imports_photos_named_by_id_number_and_sees_the_unknown_ones(
    organizer_client, candidate, evidence_root
):
    lower_x = factories.CandidateFactory(name="王五", id_number="11010519491231002X")
    files = [
        SimpleUploadedFile(f"{candidate.id_number}.jpg", jpeg_bytes(fmt="PNG")),
        SimpleUploadedFile("11010519491231002x.JPG", jpeg_bytes()),  # lower-case x still matches
        SimpleUploadedFile("110101199001019999.jpg", jpeg_bytes()),  # not a valid resident ID
        SimpleUploadedFile("A1234567.jpg", jpeg_bytes()),  # a passport nobody holds
        SimpleUploadedFile(f"{candidate.id_number}.svg.jpg", SVG),
    ]
    response = organizer_client.post(IMPORT, {"files": files})
    html = response.content.decode()
    assert response.status_code == 200
    assert "A1234567.jpg" in html[html.index('id="import-unknown"') :]
    assert "110101199001019999.jpg" in html[html.index('id="import-invalid"') :]
    assert RegisteredPhoto.objects.count() == 2
    photo = RegisteredPhoto.objects.get(candidate=candidate)
    data = (evidence_root / photo.storage_name).read_bytes()
    assert data[:3] == b"\xff\xd8\xff" and photo.size == len(data)
    assert RegisteredPhoto.objects.get(candidate=lower_x).source_name == "11010519491231002x.JPG"
    assert ".." not in photo.storage_name


def test_a_zip_of_photos_is_imported_and_replaces_an_earlier_photo(
    organizer_client, candidate, evidence_root, django_capture_on_commit_callbacks
):
    organizer_client.post(IMPORT, {"files": [SimpleUploadedFile(f"{candidate.id_number}.jpg", jpeg_bytes())]})
    first = RegisteredPhoto.objects.get(candidate=candidate).storage_name
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(f"photos/{candidate.id_number}.jpg", jpeg_bytes(color=(10, 200, 10)))
        z.writestr("../../escape.jpg", jpeg_bytes())
    with django_capture_on_commit_callbacks(execute=True):  # the old file goes after the commit
        response = organizer_client.post(
            IMPORT, {"files": [SimpleUploadedFile("batch.zip", archive.getvalue())]}
        )
    assert response.status_code == 200
    assert "escape.jpg" in response.content.decode()  # reported, never written by that name
    second = RegisteredPhoto.objects.get(candidate=candidate).storage_name
    assert second != first
    assert [p.name for p in evidence_root.rglob("*.jpg")] == [second.rsplit("/", 1)[1]]


def test_proctors_and_support_cannot_import(proctor, support_agent):
    for user in (proctor, support_agent):
        client = Client()
        client.force_login(user)
        response = client.post(IMPORT, {"files": [SimpleUploadedFile("x.jpg", jpeg_bytes())]})
        assert response.status_code == 403
    assert RegisteredPhoto.objects.count() == 0


def test_the_changelist_offers_the_import_to_organizers(organizer_client):
    html = organizer_client.get("/admin/proctoring/registeredphoto/").content.decode()
    assert IMPORT in html
