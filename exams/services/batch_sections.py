"""Sections of a batch definition file that apps above exams own (support's ``support_hours``).

exams reads the file but does not know those tables. An app registers a section in its
``AppConfig.ready()``: how to read the value (recording errors at their paths, like every
reader in ``exams.services.batch_fields``) and how to write it once the whole file is valid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from exams.models import ExamBatch
from exams.services.batch_fields import Errors


@dataclass(frozen=True)
class BatchSection:
    key: str  # the key in the file's ``batch`` object
    read: Callable[[Any, str, Errors], Any]  # (value, path, errors) -> what to write
    write: Callable[[ExamBatch, Any], None]  # (batch, what was read), in the load's transaction


_sections: dict[str, BatchSection] = {}


def batch_section_register(section: BatchSection) -> None:
    _sections[section.key] = section


def registered() -> set[str]:
    return set(_sections)


def read_all(batch: dict[str, Any], errors: Errors) -> dict[str, Any]:
    """What each registered section reads from the file's ``batch`` object; absent keys are skipped
    (a section left out of the file keeps what the database holds)."""
    return {
        key: section.read(batch[key], f"batch.{key}", errors)
        for key, section in _sections.items()
        if key in batch
    }


def write_all(batch: ExamBatch, sections: dict[str, Any]) -> None:
    for key, value in sections.items():
        _sections[key].write(batch, value)
