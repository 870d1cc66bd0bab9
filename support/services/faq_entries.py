"""Loading FAQ entries (``load_faq``, the demo)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from exams.models import ExamBatch
from support.models import FaqEntry


@transaction.atomic
def faq_entries_load(*, batch: ExamBatch | None, entries: list[dict[str, Any]]) -> int:
    """Create or update entries by (batch, question); loading twice changes nothing."""
    for item in entries:
        FaqEntry.objects.update_or_create(
            batch=batch,
            question=item["question"],
            defaults={
                "answer": item["answer"],
                "keywords": item.get("keywords", ""),
                "position": item.get("position", 0),
                "published": item.get("published", True),
            },
        )
    return len(entries)
