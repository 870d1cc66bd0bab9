"""Answer values by question kind: validation, scoring and the receipt hash.

Pure functions over plain values, shared by the autosave path, submit, collection and
paper validation (admin, API, load_batch).

Values: single_choice "A"; multiple_choice ["A", "C"]; true_false true/false;
fill_in "text"; essay "text"; null clears an answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

SINGLE = "single_choice"
MULTIPLE = "multiple_choice"
TRUE_FALSE = "true_false"
FILL_IN = "fill_in"
ESSAY = "essay"
KINDS = (SINGLE, MULTIPLE, TRUE_FALSE, FILL_IN, ESSAY)
OBJECTIVE = (SINGLE, MULTIPLE, TRUE_FALSE, FILL_IN)

MAX_TEXT = 20_000


def choice_keys(choices: Any) -> list[str]:
    if not isinstance(choices, list):
        return []
    return [c["key"] for c in choices if isinstance(c, dict) and isinstance(c.get("key"), str)]


def question_errors(*, kind: object, choices: Any, correct: Any) -> dict[str, str]:
    """Why a question cannot be used, by field; empty when it is fine."""
    errors: dict[str, str] = {}
    if kind not in KINDS:
        return {"kind": _("未知题型：%(kind)s。") % {"kind": kind}}
    keys = choice_keys(choices)
    if kind in (SINGLE, MULTIPLE):
        if len(keys) < 2 or len(keys) != len(choices) or len(set(keys)) != len(keys):
            errors["choices"] = _("选择题至少需要两个选项，每个选项有不重复的 key 和 text。")
    elif choices not in (None, [], ""):
        errors["choices"] = _("该题型不需要选项。")
    if kind == ESSAY:
        return errors
    if correct in (None, "", []):
        errors["correct"] = _("客观题必须设置标准答案。")
    elif kind == SINGLE and (not isinstance(correct, str) or correct not in keys):
        errors["correct"] = _("单选题的标准答案必须是其中一个选项的 key。")
    elif kind == MULTIPLE and (
        not isinstance(correct, list) or not correct or any(k not in keys for k in correct)
    ):
        errors["correct"] = _("多选题的标准答案必须是选项 key 的列表。")
    elif kind == TRUE_FALSE and not isinstance(correct, bool):
        errors["correct"] = _("判断题的标准答案必须是 true 或 false。")
    elif kind == FILL_IN and not (
        isinstance(correct, list) and correct and all(isinstance(c, str) and c.strip() for c in correct)
    ):
        errors["correct"] = _("填空题的标准答案必须是可接受答案的列表。")
    return errors


def answer_error(*, kind: str, choices: Any, value: Any) -> str | None:
    """Why ``value`` does not fit a question of ``kind``; None when it fits."""
    if value is None:
        return None
    if kind == SINGLE:
        if isinstance(value, str) and value in choice_keys(choices):
            return None
        return _("单选题的答案必须是一个选项。")
    if kind == MULTIPLE:
        keys = choice_keys(choices)
        if (
            isinstance(value, list)
            and all(isinstance(v, str) and v in keys for v in value)
            and len(set(value)) == len(value)
        ):
            return None
        return _("多选题的答案必须是不重复的选项列表。")
    if kind == TRUE_FALSE:
        return None if isinstance(value, bool) else _("判断题的答案必须是“对”或“错”。")
    if kind in (FILL_IN, ESSAY):
        if not isinstance(value, str):
            return _("答案必须是文字。")
        if len(value) > MAX_TEXT:
            return _("答案过长（最多 %(max)d 字）。") % {"max": MAX_TEXT}
        return None
    return _("未知题型。")


def _normalize_text(text: str) -> str:
    return " ".join(text.split()).casefold()


def is_correct(*, kind: str, correct: Any, value: Any) -> bool | None:
    """True/False for objective kinds; None for essays (marked by hand)."""
    if kind == ESSAY:
        return None
    if value is None:
        return False
    if kind == MULTIPLE:
        return isinstance(value, list) and sorted(value) == sorted(correct or [])
    if kind == FILL_IN:
        return isinstance(value, str) and _normalize_text(value) in {
            _normalize_text(c) for c in (correct or [])
        }
    return value == correct


def score(questions: Iterable[dict], answers: dict[int, Any]) -> tuple[Decimal, bool]:
    """Objective score and whether essays wait for manual marking.

    ``questions``: dicts with id, kind, points, correct; ``answers``: question id -> value.
    """
    total = Decimal("0")
    needs_marking = False
    for q in questions:
        if q["kind"] == ESSAY:
            if answers.get(q["id"]) not in (None, ""):
                needs_marking = True
            continue
        if is_correct(kind=q["kind"], correct=q["correct"], value=answers.get(q["id"])):
            total += Decimal(q["points"])
    return total, needs_marking


def receipt(attempt_id: int, answers: dict[int, tuple[Any, int]]) -> str:
    """SHA-256 over the stored answers: the candidate's proof of what the server holds.

    ``answers``: question id -> (value, seq). The encoding is canonical JSON sorted by
    question id, so the same answers always give the same receipt.
    """
    body = json.dumps(
        {
            "attempt": attempt_id,
            "answers": [[qid, answers[qid][0], answers[qid][1]] for qid in sorted(answers)],
        },
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )
    return hashlib.sha256(body.encode()).hexdigest()
