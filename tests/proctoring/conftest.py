from __future__ import annotations

import io

import pytest
from PIL import Image

from exams import statuses
from exams.models import Attempt
from tests import factories


def jpeg_bytes(color=(120, 140, 160), size=(64, 48), fmt="JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def camera_jpeg(seed: int = 1, size=(160, 120)) -> bytes:
    """A picture like a camera's: a scene (a gradient with shapes) with noise; each seed differs."""
    import random

    from PIL import ImageDraw

    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.rectangle([x, y, x + rng.randrange(10, 50), y + rng.randrange(10, 40)], fill=tuple(
            rng.randrange(40, 255) for _ in range(3)))
    noise = Image.frombytes("L", size, bytes(rng.randrange(256) for _ in range(size[0] * size[1])))
    noise = noise.convert("RGB")
    image = Image.blend(image, noise, 0.2)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture(autouse=True)
def evidence_root(settings, tmp_path):
    root = tmp_path / "evidence"
    root.mkdir()
    settings.EVIDENCE_ROOT = str(root)
    return root


@pytest.fixture
def other_attempt(formal_session, other_candidate):
    registration = factories.RegistrationFactory(candidate=other_candidate, session=formal_session)
    return factories.AttemptFactory(registration=registration)


@pytest.fixture
def second_proctor(db):
    return factories.staff_user("proctor2", "proctor")


@pytest.fixture
def pushes(monkeypatch):
    """Every live push (group, message) queued for after the commit."""
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr("exams.live.send_on_commit", lambda group, message: sent.append((group, message)))
    return sent


def open_attempt(attempt, state=statuses.IN_PROGRESS):
    Attempt.objects.filter(pk=attempt.pk).update(state=state, client_id="c" * 32)
    attempt.refresh_from_db()
    return attempt
