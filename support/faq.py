"""FAQ matching without a search engine: character bigrams, weighted by rarity.

Chinese has no spaces, so a question is cut into overlapping two-character grams
("拍照按钮在哪" -> 拍照 照按 按钮 钮在 在哪); Latin words and numbers are kept whole. A gram found
in an entry's question or keywords counts three times as much as one found only in its answer,
and grams that many entries share (考试, 考生) count less than rare ones (黑屏, 断网).
The FAQ of a batch is tens of entries, so scoring them all per keystroke is cheap.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

MAX_QUERY = 200
TITLE_WEIGHT = 3.0
ANSWER_WEIGHT = 1.0
KEYWORD_PHRASE_BONUS = 2.0
# Offer entries scoring at least this share of the best one, so a clear match is not diluted.
RELATIVE_CUTOFF = 0.35

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_KEYWORD_SPLIT = re.compile(r"[,，、;；/|\s]+")


class FaqLike(Protocol):
    question: str
    answer: str
    keywords: str


@dataclass(frozen=True)
class Match:
    entry: FaqLike
    score: float


def normalize(text: str) -> str:
    """Full-width to half-width, lower case: "ＷＩＦＩ" and "wifi" are the same word."""
    return unicodedata.normalize("NFKC", text or "").lower()


def grams(text: str) -> set[str]:
    out: set[str] = set()
    for run in _RUNS.findall(normalize(text)):
        if run.isascii():
            if len(run) > 1 or run.isdigit():
                out.add(run)
        elif len(run) == 1:
            out.add(run)
        else:
            out.update(run[i : i + 2] for i in range(len(run) - 1))
    return out


def keyword_phrases(keywords: str) -> list[str]:
    return [k for k in (normalize(p).strip() for p in _KEYWORD_SPLIT.split(keywords or "")) if len(k) > 1]


@dataclass(frozen=True)
class _Indexed:
    entry: FaqLike
    title: set[str]
    body: set[str]
    phrases: list[str]


def _index(entries: Iterable[FaqLike]) -> list[_Indexed]:
    return [
        _Indexed(
            entry=e,
            title=grams(e.question) | grams(e.keywords),
            body=grams(e.answer),
            phrases=keyword_phrases(e.keywords),
        )
        for e in entries
    ]


def rank(query: str, entries: Sequence[FaqLike], *, limit: int = 5) -> list[Match]:
    """The entries that best answer ``query``, best first; nothing when nothing matches."""
    query = normalize(query)[:MAX_QUERY]
    wanted = grams(query)
    if not wanted:
        return []
    indexed = _index(entries)
    total = len(indexed)
    df = {g: sum(1 for i in indexed if g in i.title or g in i.body) for g in wanted}
    scored: list[tuple[float, int, FaqLike]] = []
    for order, item in enumerate(indexed):
        score = 0.0
        for g in wanted:
            if not df[g]:
                continue
            idf = math.log(1 + total / df[g])
            if g in item.title:
                score += TITLE_WEIGHT * idf
            elif g in item.body:
                score += ANSWER_WEIGHT * idf
        score += sum(KEYWORD_PHRASE_BONUS * len(p) for p in item.phrases if p in query)
        if score > 0:
            scored.append((score, order, item.entry))
    if not scored:
        return []
    best = max(s for s, _o, _e in scored)
    scored = [t for t in scored if t[0] >= best * RELATIVE_CUTOFF]
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [Match(entry=e, score=round(s, 3)) for s, _o, e in scored[:limit]]
