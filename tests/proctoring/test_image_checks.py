"""The pure image checks of the phone monitor, on generated images."""

from __future__ import annotations

import io

from PIL import Image

from proctoring import image_checks
from tests.proctoring.conftest import camera_jpeg, jpeg_bytes


def test_a_camera_picture_is_fine():
    assert image_checks.problem(image_checks.signature(camera_jpeg(1))) is None


def test_a_black_frame_is_black():
    assert image_checks.problem(image_checks.signature(jpeg_bytes((1, 1, 1)))) == "black"
    assert image_checks.problem(image_checks.signature(jpeg_bytes((10, 12, 9)))) == "black"


def test_a_single_colour_is_uniform_even_when_bright():
    assert image_checks.problem(image_checks.signature(jpeg_bytes((180, 60, 60)))) == "uniform"
    assert image_checks.problem(image_checks.signature(jpeg_bytes((120, 140, 160), fmt="PNG"))) == "uniform"


def test_the_same_picture_twice_is_frozen_within_a_small_tolerance():
    first = image_checks.signature(camera_jpeg(1))
    assert image_checks.problem(image_checks.signature(camera_jpeg(1)), first) == "frozen"
    # re-encoded, with a few pixels touched: still the same picture
    image = Image.open(io.BytesIO(camera_jpeg(1))).convert("RGB")
    image.putpixel((5, 5), (255, 0, 0))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92)
    assert image_checks.problem(image_checks.signature(out.getvalue()), first) == "frozen"


def test_two_different_pictures_are_not_frozen():
    first = image_checks.signature(camera_jpeg(1))
    assert image_checks.problem(image_checks.signature(camera_jpeg(2)), first) is None


def test_signatures_of_different_sizes_compare_by_their_thumbnails():
    big = image_checks.signature(camera_jpeg(3, size=(640, 480)))
    small = image_checks.signature(camera_jpeg(3, size=(160, 120)))
    assert len(big) == len(small) == image_checks.THUMB[0] * image_checks.THUMB[1]
