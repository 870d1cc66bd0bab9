"""What support does when exams announces something (``exams.signals``); connected in
``SupportConfig.ready()``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from exams import signals
from exams.models import ExamBatch
from support.demo_faq import load_demo_faq


def load_demo_faq_with_demo(*, batch: ExamBatch, now: datetime, **kwargs: Any) -> None:
    load_demo_faq(None)  # global entries: the demo FAQ is shown for every batch


def connect() -> None:
    signals.demo_loaded.connect(load_demo_faq_with_demo, dispatch_uid="support.load_demo_faq")
