"""Is this snapshot a real camera image? Pure checks on pixels (Pillow only, no Django).

A phone whose camera is stopped, covered or faked still produces pictures: black frames, a
uniform colour, or the same frame again and again. The phone page makes the same checks
(static/js/proctoring/phone.js) to warn at once; the server makes them when a snapshot is
stored, so a modified page cannot fake a working camera.

``signature(data)`` reduces an image to a small grayscale thumbnail (``THUMB`` pixels, one
byte each); ``problem(current, previous)`` says what is wrong with it, or None:

- ``black``: mean brightness below ``BLACK_MEAN`` (of 255);
- ``uniform``: brightness standard deviation below ``UNIFORM_STDDEV`` (a covered lens, a
  painted frame);
- ``frozen``: the same image as the previous snapshot, within ``FROZEN_TOLERANCE`` (mean
  absolute difference of the thumbnails, of 255).
"""

from __future__ import annotations

import io
import math

from PIL import Image

THUMB = (64, 48)
BLACK_MEAN = 16.0
UNIFORM_STDDEV = 4.0
FROZEN_TOLERANCE = 0.5

BLACK = "black"
UNIFORM = "uniform"
FROZEN = "frozen"
REASONS = (BLACK, UNIFORM, FROZEN)


def signature(data: bytes) -> bytes:
    """The grayscale thumbnail of an image (``THUMB[0] * THUMB[1]`` bytes)."""
    with Image.open(io.BytesIO(data)) as image:
        gray = image.convert("L").resize(THUMB, Image.Resampling.BILINEAR)
        return gray.tobytes()


def mean(sig: bytes) -> float:
    return sum(sig) / len(sig) if sig else 0.0


def stddev(sig: bytes) -> float:
    if not sig:
        return 0.0
    m = mean(sig)
    return math.sqrt(sum((v - m) ** 2 for v in sig) / len(sig))


def difference(a: bytes, b: bytes) -> float:
    """Mean absolute difference of two signatures (infinite when they cannot be compared)."""
    if not a or len(a) != len(b):
        return math.inf
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)


def problem(current: bytes, previous: bytes | None = None) -> str | None:
    """``black``, ``uniform`` or ``frozen`` for an image that is not a live camera picture."""
    if mean(current) < BLACK_MEAN:
        return BLACK
    if stddev(current) < UNIFORM_STDDEV:
        return UNIFORM
    if previous and difference(current, previous) <= FROZEN_TOLERANCE:
        return FROZEN
    return None
