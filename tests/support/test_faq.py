"""FAQ self-help: matching as the candidate types, per batch and global, in the organizer's order."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from support import faq
from support.demo_faq import DEMO_FAQ, load_demo_faq
from support.models import FaqEntry
from tests import factories
from tests.helpers import START, at


@dataclass
class Entry:
    question: str
    answer: str
    keywords: str


ENTRIES = [Entry(q, a, k) for q, a, k in DEMO_FAQ]


def best(query: str) -> str:
    matches = faq.rank(query, ENTRIES)
    assert matches, f"nothing matched {query!r}"
    return matches[0].entry.question


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("拍照按钮在哪", "登录时的拍照按钮在哪里？"),
        ("网络断了", "考试过程中网络断了怎么办？"),
        ("断网了怎么办", "考试过程中网络断了怎么办？"),
        ("摄像头黑屏", "摄像头多次黑屏，还可以继续答题吗？"),
        ("可以上厕所吗", "考试中可以去洗手间吗？"),
        ("能用计算器吗", "考试中能用草稿纸、笔或计算器吗？草稿纸需要拍到吗？"),
        ("提示场次过期", "输入考试口令后提示“场次已过期”怎么办？"),
        ("ＷＩＦＩ 掉线", "考试过程中网络断了怎么办？"),
    ],
)
def test_typing_a_question_offers_the_matching_entry_first(typed, expected):
    assert best(typed) == expected


def test_nothing_is_offered_for_unrelated_or_empty_text():
    assert faq.rank("", ENTRIES) == []
    assert faq.rank("！？。", ENTRIES) == []
    assert faq.rank("量子纠缠", ENTRIES) == []


def test_chinese_is_cut_into_bigrams_and_latin_into_words():
    assert faq.grams("拍照按钮") == {"拍照", "照按", "按钮"}
    assert faq.grams("WiFi 4G") == {"wifi", "4g"}
    assert faq.grams("拍") == {"拍"}


def test_the_demo_faq_has_the_notices_sixteen_questions_and_loads_idempotently(db):
    assert len(DEMO_FAQ) == 16
    load_demo_faq(None)
    load_demo_faq(None)
    assert FaqEntry.objects.filter(batch__isnull=True).count() == 16
    first = FaqEntry.objects.order_by("position").first()
    assert first.question == DEMO_FAQ[0][0]


def test_the_api_searches_the_batch_and_global_entries_but_not_other_batches(anonymous):
    load_demo_faq(None)
    batch = factories.BatchFactory(slug="july")
    other = factories.BatchFactory(slug="august")
    FaqEntry.objects.create(batch=batch, question="七月批次的拍照按钮说明", answer="见七月须知。", position=1)
    FaqEntry.objects.create(batch=other, question="八月批次的拍照按钮说明", answer="见八月须知。", position=1)
    FaqEntry.objects.create(batch=None, question="拍照按钮（未发布）", answer="草稿", published=False)

    results = anonymous.faq("拍照按钮在哪", batch="july").json()["results"]
    assert results[0]["question"] == "登录时的拍照按钮在哪里？"
    assert {"id", "question", "answer", "score"} <= set(results[0])
    july = [r["question"] for r in anonymous.faq("批次的拍照按钮说明", batch="july").json()["results"]]
    assert july[0] == "七月批次的拍照按钮说明"
    assert "八月批次的拍照按钮说明" not in july
    assert "拍照按钮（未发布）" not in july
    no_batch = [r["question"] for r in anonymous.faq("批次的拍照按钮说明").json()["results"]]
    assert "七月批次的拍照按钮说明" not in no_batch


def test_an_empty_query_lists_the_faq_in_the_organizers_order(anonymous):
    load_demo_faq(None)
    FaqEntry.objects.create(batch=None, question="排在最前的问题", answer="答", position=0)
    results = anonymous.faq("").json()["results"]
    assert len(results) == 17
    assert results[0]["question"] == "排在最前的问题"
    assert results[1]["question"] == DEMO_FAQ[0][0]


def test_a_logged_in_candidate_searches_their_attempts_batch_without_naming_it(logged_in, attempt):
    batch = attempt.session.batch
    FaqEntry.objects.create(batch=batch, question="本批次草稿纸规定", answer="可用一张 A4 纸。")
    with at(START):
        results = logged_in.faq("草稿纸").json()["results"]
    assert [r["question"] for r in results] == ["本批次草稿纸规定"]
