"""The results table (API, CSV, XLSX): scores with marks, pass/fail, escaping, flat queries."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from exams.models import Answer
from examsite.spreadsheets import escape_formula
from results.models import MarkingTask
from results.selectors import session_result_rows, summary_of
from tests import factories
from tests.helpers import at, distinct_resident_id
from tests.results.conftest import AFTER, finished_attempt

API = "/api/v1/organizer/sessions/"


@pytest.fixture
def organizer_client(organizer):
    client = Client()
    client.force_login(organizer)
    return client


def give_final(attempt, question, points: str) -> None:
    answer = Answer.objects.get(attempt=attempt, question=question)
    MarkingTask.objects.update_or_create(  # the console may have made the task already
        answer=answer, defaults={"attempt": attempt, "question": question, "required": 1,
                                 "final_points": Decimal(points)},
    )


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("=1+1", "'=1+1"), ("+86", "'+86"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
        ("\r=1", "'\r=1"), ("==HYPERLINK()", "'==HYPERLINK()"), (" =1", "' =1"), ("\n@x", "'\n@x"),
        ("'=1", "'=1"), ("张三", "张三"), ("", ""), (Decimal("-1"), Decimal("-1")), (None, None), (3, 3),
    ],
)
def test_every_formula_start_is_escaped_once(value, escaped):
    assert escape_formula(value) == escaped
    assert escape_formula(escape_formula(value)) == escaped


def test_total_is_objective_points_plus_final_marks_and_pass_needs_every_mark(essay_session):
    zhang, li, wang = essay_session["attempts"]
    give_final(zhang, essay_session["essay"], "7.5")
    rows = {row.name: row for row in session_result_rows(session=essay_session["session"])}
    assert rows["张三"].total == Decimal("13.50")
    assert (rows["张三"].essays_marked, rows["张三"].essays_waiting) == (1, 1)
    assert rows["张三"].passed is None  # a mark still waits
    give_final(zhang, essay_session["second"], "2")
    give_final(li, essay_session["essay"], "3")
    rows = {row.name: row for row in session_result_rows(session=essay_session["session"])}
    assert (rows["张三"].total, rows["张三"].passed) == (Decimal("15.50"), True)
    assert (rows["李四"].total, rows["李四"].passed) == (Decimal("7.00"), False)
    assert (rows["王五"].total, rows["王五"].essays_waiting, rows["王五"].passed) == (Decimal("2.00"), 0, False)
    summary = summary_of(list(rows.values()))
    assert summary.finished == 3 and summary.passed == 1
    assert summary.mean == Decimal("8.17") and summary.median == Decimal("7.00")
    assert summary.quartiles == (Decimal("4.50"), Decimal("7.00"), Decimal("11.25"))
    assert summary.pass_rate == Decimal("0.3333")


def test_json_results_are_paginated_rows(essay_session, organizer_client):
    response = organizer_client.get(f"{API}{essay_session['session'].pk}/results/", {"limit": 2})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 3 and len(body["results"]) == 2
    assert {"attempt_id", "name", "total", "passed", "decision", "receipt", "essays_waiting"} <= set(body["results"][0])


def test_unknown_format_is_refused(essay_session, organizer_client):
    response = organizer_client.get(f"{API}{essay_session['session'].pk}/results/", {"format": "pdf"})
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_csv_export_streams_escaped_rows(essay_session, organizer_client):
    finished_attempt(essay_session["session"], name="=HYPERLINK(\"http://x\")", score="1", essays={})
    response = organizer_client.get(f"{API}{essay_session['session'].pk}/results/", {"format": "csv"})
    assert response.status_code == 200 and response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["姓名", "证件号", "准考证号"]
    names = [row[0] for row in rows[1:]]
    assert "'=HYPERLINK(\"http://x\")" in names and "张三" in names
    assert len(rows) == 5


def test_xlsx_export_keeps_numbers_and_escapes_text(essay_session, organizer_client):
    finished_attempt(essay_session["session"], name="@cmd", score="1", essays={})
    response = organizer_client.get(f"{API}{essay_session['session'].pk}/results/", {"format": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    by_name = {row[0]: row for row in rows[1:]}
    assert "'@cmd" in by_name
    assert by_name["李四"][header.index("客观题得分")] == 4
    assert by_name["张三"][header.index("状态")] == "已收卷"


def test_results_need_organizer_permissions(essay_session, support_agent):
    client = Client()
    client.force_login(support_agent)
    assert client.get(f"{API}{essay_session['session'].pk}/results/").status_code == 403


def test_results_cost_the_same_queries_for_10_and_1000_candidates(db, organizer_client):
    def queries_for(n: int) -> tuple[int, int]:
        paper = factories.full_paper(pass_mark=Decimal("5"))
        session = factories.SessionFactory.create(paper=paper)
        essay = paper.questions.get(kind="essay")
        for i in range(n):
            finished_attempt(
                session, name=f"考生{n}-{i}", score="3", essays={essay: "答"} if i % 2 else {},
                id_number=distinct_resident_id(100_000 + 10 * n + i),
            )
        with CaptureQueriesContext(connection) as page, at(AFTER):
            response = organizer_client.get(f"{API}{session.pk}/results/", {"limit": 1000})
            assert response.status_code == 200
            assert len(response.json()["results"]) == n
        with CaptureQueriesContext(connection) as export:
            b"".join(organizer_client.get(f"{API}{session.pk}/results/", {"format": "csv"}).streaming_content)
        return len(page), len(export)

    assert queries_for(10) == queries_for(1000)
