"""Batch definition files for ``load_batch`` (docs/batch-format.md).

Two batches, loaded in parallel: ``bench-big`` holds the session whose attempts are
collected (and whose first attempts hold the sockets); ``bench-small`` holds the autosave
session, the login-storm session and a 100-attempt session for the query-count check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.helpers import distinct_resident_id as resident_id

BIG_SLUG = "bench-big"
SMALL_SLUG = "bench-small"
COLLECT, SAVE, LOGIN, C100 = "collect", "save", "login", "c100"
PASSWORDS = {COLLECT: "710001", SAVE: "710002", LOGIN: "710003", C100: "710004"}
RULES = {
    # No exam-day gate, no late cutoff, no minimum answering time, never locked: the storms
    # must not be refused by the clock or by leaves.
    "exam_day_gate": None,
    "late_after_minutes": None,
    "min_answer_minutes": None,
    "max_screen_leaves": None,
    "lock_screen": False,
    # The storms drive the API without cameras: the login photo (required by default in formal
    # sessions, issue 14) would refuse every first answer.
    "requires_login_photo": False,
}


def paper() -> dict:
    """Twenty questions of every kind, like a real theory paper."""
    choices = [{"key": k, "text": f"选项{k}"} for k in "ABCD"]
    questions = []
    for i in range(8):
        questions.append(
            {
                "kind": "single_choice",
                "text": f"单选题{i + 1}",
                "points": 2,
                "choices": choices,
                "correct": "ABCD"[i % 4],
            }
        )
    for i in range(4):
        questions.append(
            {
                "kind": "multiple_choice",
                "text": f"多选题{i + 1}",
                "points": 3,
                "choices": choices,
                "correct": ["A", "C"],
            }
        )
    for i in range(4):
        questions.append({"kind": "true_false", "text": f"判断题{i + 1}", "correct": i % 2 == 0})
    for i in range(3):
        questions.append({"kind": "fill_in", "text": f"填空题{i + 1}", "correct": ["119", "一一九"]})
    questions.append({"kind": "essay", "text": "简答题", "points": 10})
    return {"key": "p", "name": "基准测试试卷", "questions": questions}


@dataclass
class Plan:
    collect: int
    save: int
    login: int
    c100: int = 100

    def ids(self, key: str) -> list[str]:
        offset = {
            COLLECT: 0,
            SAVE: self.collect,
            LOGIN: self.collect + self.save,
            C100: self.collect + self.save + self.login,
        }[key]
        return [resident_id(offset + n) for n in range(getattr(self, key))]


def _session(key: str, now: datetime) -> dict:
    return {
        "key": key,
        "kind": "formal",
        "name": f"基准-{key}",
        "password": PASSWORDS[key],
        "paper": "p",
        "starts_at": (now - timedelta(minutes=10)).isoformat(),
        "ends_at": (now + timedelta(hours=4)).isoformat(),
        "rules": RULES,
    }


def _batch(slug: str, keys: list[str], plan: Plan, now: datetime) -> dict:
    candidates = []
    for key in keys:
        for n, id_number in enumerate(plan.ids(key)):
            candidates.append({"name": f"考生{key}{n}", "id_number": id_number, "sessions": [key]})
    return {
        "batch": {"slug": slug, "name": f"基准测试 {slug}"},
        "papers": [paper()],
        "sessions": [_session(key, now) for key in keys],
        "candidates": candidates,
    }


def write_batches(workdir: Path, plan: Plan) -> tuple[Path, Path]:
    now = datetime.now(UTC)
    big = workdir / "batch-big.json"
    small = workdir / "batch-small.json"
    big.write_text(json.dumps(_batch(BIG_SLUG, [COLLECT], plan, now), ensure_ascii=False))
    small.write_text(json.dumps(_batch(SMALL_SLUG, [SAVE, LOGIN, C100], plan, now), ensure_ascii=False))
    return big, small
