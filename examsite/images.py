"""Uploaded images: decode, check and re-encode, whatever app receives them.

Proctoring (photos, snapshots, registered photos) and support (ticket screenshots) both take
images from the outside; only pixels are ever kept. Infrastructure, like ``examsite.storage``:
it knows no app.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from examsite.exceptions import DomainError


class UploadTooLarge(DomainError):
    code = "upload_too_large"
    status = 413
    default_detail = _("图片过大，请重新拍摄。")


class NotAnImage(DomainError):
    code = "not_an_image"
    status = 415
    default_detail = _("上传的文件不是有效的图片，请重新拍摄。")


def image_to_jpeg(data: bytes) -> tuple[bytes, int, int]:
    """Decode with Pillow and re-encode: whatever was uploaded, only pixels are kept."""
    if len(data) > settings.EVIDENCE_MAX_BYTES:
        raise UploadTooLarge()
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("JPEG", "PNG", "WEBP"):
                raise NotAnImage()
            if image.width * image.height > 4096 * 4096:
                raise UploadTooLarge(_("图片尺寸过大，请重新拍摄。"))
            image.load()
            rgb = image.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise NotAnImage() from None
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=85)
    return out.getvalue(), rgb.width, rgb.height


THUMBNAIL_EDGE = 160


def jpeg_thumbnail(jpeg: bytes, *, edge: int = THUMBNAIL_EDGE) -> bytes:
    """A small JPEG (longest side ``edge`` px) of an image ``image_to_jpeg`` already checked:
    the live wall shows dozens of these at once instead of full snapshots."""
    with Image.open(io.BytesIO(jpeg)) as image:
        image.draft("RGB", (edge, edge))  # JPEG decodes at a reduced scale: cheap
        small = image.convert("RGB")
        small.thumbnail((edge, edge))
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=70)
    return out.getvalue()
