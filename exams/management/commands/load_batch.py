"""python manage.py load_batch FILE.json — create or update a whole batch (docs/batch-format.md)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from candidates.models import Candidate
from exams.exceptions import InvalidInput
from exams.models import ExamBatch
from exams.services.batches import batch_load, batch_validate


class Command(BaseCommand):
    help = "Create or update a batch from a batch definition file (JSON); refused whole on any error."

    def add_arguments(self, parser):
        parser.add_argument("file", help="batch definition file (JSON, UTF-8)")
        parser.add_argument(
            "--check", action="store_true", help="only validate the file and list its errors; write nothing"
        )

    def handle(self, *args, file: str, check: bool, **options):
        data = read_batch_file(file)
        now = timezone.now()
        if check:
            errors = batch_validate(data=data, now=now)
            if errors:
                self.refuse(errors)
            self.stdout.write(self.style.SUCCESS("文件无误 File is valid (nothing written)."))
            return
        try:
            batch = batch_load(data=data, now=now)
        except InvalidInput as error:
            self.refuse(error.by_path())
        self.stdout.write(batch_summary(batch))

    def refuse(self, errors: dict[str, str]) -> None:
        for path, reason in errors.items():
            self.stderr.write(f"{path}: {reason}")
        raise CommandError(
            f"文件有 {len(errors)} 处错误，未导入任何内容 / {len(errors)} error(s), nothing was loaded."
        )


def read_batch_file(file: str) -> object:
    try:
        text = Path(file).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise CommandError(f"{file}: 无法读取文件 cannot read: {error.strerror}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{file}: 文件不是 UTF-8 编码 / not UTF-8") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(
            f"{file}: JSON 格式错误 malformed JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None


def batch_summary(batch: ExamBatch) -> str:
    tz = batch.tz
    sessions = batch.sessions.select_related("paper").order_by("starts_at", "id")
    candidates = Candidate.objects.filter(registrations__session__batch=batch).distinct().count()
    lines = [f"批次 Batch {batch.slug}: {batch.name} ({batch.time_zone})"]
    for s in sessions:
        lines.append(
            f"  [{s.key or '-'}] {s.get_kind_display()} {s.name}: "
            f"{s.starts_at.astimezone(tz):%Y-%m-%d %H:%M} — {s.ends_at.astimezone(tz):%Y-%m-%d %H:%M}  "
            f"口令 password {s.password}  试卷 paper {s.paper.name if s.paper else '-'}  "
            f"报名 registrations {s.registrations.count()}"
        )
    lines.append(f"考生 Candidates: {candidates}")
    return "\n".join(lines)
