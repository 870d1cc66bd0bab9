"""Registered photos (报名照片): imported by organizers, matched to candidates by ID number."""

from __future__ import annotations

import hashlib
import io
import logging
import posixpath
import secrets
import zipfile
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from candidates import idnumbers
from candidates.models import Candidate
from examsite.images import image_to_jpeg
from examsite.storage import evidence_storage
from proctoring import exceptions as exc
from proctoring.models import RegisteredPhoto

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
MAX_ZIP_MEMBERS = 5000


@dataclass
class PhotoImportReport:
    imported: list[str] = field(default_factory=list)  # file names
    replaced: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # no candidate with that ID number
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason)


def _photo_files(files: list[tuple[str, bytes]], report: PhotoImportReport) -> list[tuple[str, bytes]]:
    """Flatten uploaded images and zip archives into (file name, bytes), names without folders."""
    out: list[tuple[str, bytes]] = []
    for name, data in files:
        base = posixpath.basename((name or "").replace("\\", "/"))
        if base.lower().endswith(".zip"):
            out.extend(_zip_members(base, data, report))
        else:
            out.append((base, data))
    return out


def _zip_members(zip_name: str, data: bytes, report: PhotoImportReport) -> list[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        report.invalid.append((zip_name, _("不是有效的 zip 压缩包。")))
        return []
    members = []
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > MAX_ZIP_MEMBERS:
            report.invalid.append(
                (zip_name, _("压缩包内文件过多（最多 %(max)d 个）。") % {"max": MAX_ZIP_MEMBERS})
            )
            return []
        for info in infos:
            base = posixpath.basename(info.filename.replace("\\", "/"))
            if not base or base.startswith("."):
                continue  # macOS resource forks and the like
            if info.file_size > settings.EVIDENCE_MAX_BYTES:
                report.invalid.append((base, str(exc.UploadTooLarge().detail)))
                continue
            with archive.open(info) as member:
                members.append((base, member.read(settings.EVIDENCE_MAX_BYTES + 1)))
    return members


def registered_photos_import(*, files: list[tuple[str, bytes]], actor: User | None, now: datetime) -> PhotoImportReport:
    """Import photos named by ID number (``11010519491231002X.jpg``), or zips of them.

    Each name (without extension) is normalized like a login; an unknown ID number is
    reported by file name. Images are decoded and re-encoded to JPEG like evidence; a
    candidate's earlier registered photo is replaced.
    """
    report = PhotoImportReport()
    for name, data in _photo_files(files, report):
        stem, dot, suffix = name.rpartition(".")
        if not dot or f".{suffix.lower()}" not in IMAGE_SUFFIXES:
            report.invalid.append((name, _("文件名应为“证件号.jpg”（或 .jpeg/.png/.webp）。")))
            continue
        try:
            id_number = idnumbers.normalize_for_login(stem)
        except idnumbers.InvalidIdNumber as error:
            report.invalid.append((name, error.message))
            continue
        candidate = Candidate.objects.filter(id_number=id_number).first()
        if candidate is None:
            report.unknown.append(name)
            continue
        try:
            jpeg, width, height = image_to_jpeg(data)
        except (exc.NotAnImage, exc.UploadTooLarge, exc.InvalidImage) as error:
            report.invalid.append((name, error.detail))
            continue
        replaced = _store_registered_photo(
            candidate=candidate,
            jpeg=jpeg,
            width=width,
            height=height,
            source_name=name,
            actor=actor,
            now=now,
        )
        (report.replaced if replaced else report.imported).append(name)
    return report


def _store_registered_photo(
    *, candidate: Candidate, jpeg: bytes, width: int, height: int, source_name: str, actor: User | None, now: datetime
) -> bool:
    stored = evidence_storage.save(
        f"registered/{candidate.id}-{secrets.token_hex(12)}.jpg", ContentFile(jpeg)
    )
    values = {
        "storage_name": stored,
        "sha256": hashlib.sha256(jpeg).hexdigest(),
        "size": len(jpeg),
        "width": width,
        "height": height,
        "source_name": source_name[:255],
        "uploaded_at": now,
        "uploaded_by": actor if getattr(actor, "pk", None) else None,
    }
    with transaction.atomic():
        previous = RegisteredPhoto.objects.select_for_update().filter(candidate=candidate).first()
        if previous is None:
            RegisteredPhoto.objects.create(candidate=candidate, **values)
            return False
        old_name = previous.storage_name
        RegisteredPhoto.objects.filter(pk=previous.pk).update(**values)
        transaction.on_commit(lambda: evidence_storage.delete(old_name))
        return True
