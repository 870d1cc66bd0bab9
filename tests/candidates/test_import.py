"""Organizer imports and exports of candidates and registrations through the admin.

Import is two steps (django-import-export 4): the upload runs a dry run and shows either
the problems or a confirm form; the confirm form's post imports for real.
"""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from candidates.models import Candidate, Registration
from exams import statuses
from exams.models import Attempt
from tests import factories

CSV, XLSX = "0", "1"

ALICE = factories.resident_id(11)
BOB = factories.resident_id(12)
CAROL = factories.resident_id(13)


def bad_checksum(id_number: str) -> str:
    wrong = "0" if id_number[-1] != "0" else "1"
    return id_number[:-1] + wrong


def csv_bytes(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, model: str, content: bytes, *, fmt: str = CSV, name: str = "list.csv"):
    return client.post(
        reverse(f"admin:candidates_{model}_import"),
        {"format": fmt, "import_file": SimpleUploadedFile(name, content)},
    )


def confirm(client, model: str, preview):
    form = preview.context["confirm_form"]
    data = {name: form.initial[name] for name in ("import_file_name", "original_file_name", "format")}
    data["resource"] = form.initial.get("resource", "")
    return client.post(reverse(f"admin:candidates_{model}_process_import"), data, follow=True)


def import_file(client, model: str, content: bytes, **kwargs):
    preview = upload(client, model, content, **kwargs)
    assert preview.status_code == 200
    assert "confirm_form" in preview.context, preview.context.get("import_problems")
    return confirm(client, model, preview)


@pytest.fixture
def session(db):
    return factories.SessionFactory(name="正式考试 理论知识")


def test_it_imports_candidates_then_registrations_with_their_attempts(admin_client, session):
    import_file(admin_client, "candidate", csv_bytes([
        ["name", "document_type", "id_number", "phone"],
        ["张三", "", ALICE.lower(), "13800000000"],
        ["李四", "居民身份证", BOB, ""],
        ["Carol Smith", "passport", "e1234567", ""],
        ["", "", "", ""],  # an empty last line, as spreadsheets save them
    ]))
    assert {c.name: c.id_number for c in Candidate.objects.all()} == {
        "张三": ALICE, "李四": BOB, "Carol Smith": "E1234567",
    }

    response = import_file(admin_client, "registration", csv_bytes([
        ["id_number", "session", "admission_ticket", "subject"],
        [ALICE, session.pk, "2023000001", ""],
        [BOB, session.pk, "2023000002", "实操"],
        ["E1234567", session.pk, "2023000003", ""],
    ]))

    assert response.status_code == 200
    registrations = Registration.objects.filter(session=session).select_related("candidate")
    assert {(r.candidate.id_number, r.admission_ticket, r.subject) for r in registrations} == {
        (ALICE, "2023000001", session.subject),
        (BOB, "2023000002", "实操"),
        ("E1234567", "2023000003", session.subject),
    }
    attempts = Attempt.objects.filter(session=session)
    assert attempts.count() == 3
    assert {a.state for a in attempts} == {statuses.REGISTERED}
    assert {a.deadline for a in attempts} == {session.ends_at}


def test_it_lowercase_x_in_an_id_number_is_stored_uppercase(admin_client, db):
    with_x = next(factories.resident_id(n) for n in range(1000) if factories.resident_id(n).endswith("X"))

    import_file(admin_client, "candidate", csv_bytes([
        ["name", "id_number"], ["王五", with_x.lower()],
    ]))

    assert Candidate.objects.get().id_number == with_x


def test_it_refuses_a_file_with_one_bad_checksum_naming_its_line_and_imports_nothing(admin_client, db):
    response = upload(admin_client, "candidate", csv_bytes([
        ["name", "document_type", "id_number", "phone"],
        ["张三", "", ALICE, ""],
        ["李四", "", bad_checksum(BOB), ""],
        ["王五", "", CAROL, ""],
    ]))

    assert response.status_code == 200
    assert "confirm_form" not in response.context
    content = response.content.decode()
    assert "第 3 行 id_number（证件号）：居民身份证号校验位不正确" in content
    assert "未导入任何数据" in content
    assert Candidate.objects.count() == 0


def test_it_refuses_an_id_number_twice_in_one_file(admin_client, db):
    response = upload(admin_client, "candidate", csv_bytes([
        ["name", "id_number"],
        ["张三", ALICE],
        ["李四", BOB],
        ["张三", ALICE.lower()],
    ]))

    assert "confirm_form" not in response.context
    assert response.context["import_problems"] == [
        f"第 4 行 id_number（证件号）：证件号 {ALICE} 与第 2 行重复。"
    ]
    assert Candidate.objects.count() == 0


def test_it_refuses_a_registration_for_an_unknown_session_and_imports_no_row(admin_client, session):
    factories.CandidateFactory(id_number=ALICE)
    factories.CandidateFactory(id_number=BOB)

    response = upload(admin_client, "registration", csv_bytes([
        ["id_number", "session", "admission_ticket", "subject"],
        [ALICE, session.pk, "1", ""],
        [BOB, 999999, "2", ""],
    ]))

    assert "confirm_form" not in response.context
    assert response.context["import_problems"] == ["第 3 行 session（场次编号）：场次编号 999999 不存在。"]
    assert Registration.objects.count() == 0
    assert Attempt.objects.count() == 0


def test_it_refuses_the_same_seat_twice_and_a_candidate_not_yet_imported(admin_client, session):
    factories.CandidateFactory(id_number=ALICE)

    response = upload(admin_client, "registration", csv_bytes([
        ["证件号", "场次编号", "准考证号", "科目"],
        [ALICE, session.pk, "1", ""],
        [ALICE, session.pk, "2", ""],
        [CAROL, session.pk, "3", ""],
    ]))

    problems = response.context["import_problems"]
    assert problems[0] == "第 3 行 id_number（证件号）：与第 2 行重复：同一考生在同一场次只能报名一次。"
    assert problems[1].startswith("第 4 行 id_number（证件号）：证件号 " + CAROL + " 没有对应的考生")
    assert Registration.objects.count() == 0


def test_it_refuses_a_file_without_the_required_columns(admin_client, db):
    response = upload(admin_client, "candidate", csv_bytes([["姓名", "phone"], ["张三", "1"]]))

    assert "confirm_form" not in response.context
    assert "文件缺少必需的列：id_number" in response.content.decode()
    assert Candidate.objects.count() == 0


def test_it_rolls_the_confirm_step_back_when_a_row_went_bad_after_the_preview(admin_client, session):
    factories.CandidateFactory(id_number=ALICE)
    bob = factories.CandidateFactory(id_number=BOB)
    preview = upload(admin_client, "registration", csv_bytes([
        ["id_number", "session"], [ALICE, session.pk], [BOB, session.pk],
    ]))
    assert "confirm_form" in preview.context
    Candidate.objects.filter(pk=bob.pk).update(id_number=CAROL)  # between preview and confirm

    response = confirm(admin_client, "registration", preview)

    assert "未导入任何数据：第 3 行 id_number（证件号）" in response.content.decode()
    assert Registration.objects.count() == 0
    assert Attempt.objects.count() == 0


def test_it_imports_xlsx_with_numbers_in_the_cells(admin_client, session):
    content = xlsx_bytes([
        ["name", "document_type", "id_number", "phone"],
        ["张三", None, ALICE, 13800000000],
    ])

    import_file(admin_client, "candidate", content, fmt=XLSX, name="list.xlsx")
    import_file(admin_client, "registration", xlsx_bytes([
        ["id_number", "session", "admission_ticket"], [ALICE, session.pk, "2023000001"],
    ]), fmt=XLSX, name="seats.xlsx")

    candidate = Candidate.objects.get()
    assert (candidate.name, candidate.id_number, candidate.phone) == ("张三", ALICE, "13800000000")
    assert Attempt.objects.get().registration.admission_ticket == "2023000001"


def test_it_reads_a_csv_saved_by_chinese_excel(admin_client, db):
    content = csv_bytes([["姓名", "证件号"], ["张三", ALICE]]).decode().encode("gb18030")

    import_file(admin_client, "candidate", content)

    assert Candidate.objects.get().name == "张三"


def test_it_exports_registrations_that_import_back(admin_client, session):
    registration = factories.RegistrationFactory(session=session, admission_ticket="2023000009")
    export_fields = ("id_number", "name", "session", "session_name", "admission_ticket", "subject")

    response = admin_client.post(
        reverse("admin:candidates_registration_export"),
        {"format": CSV, "resource": "0", **{f"registrationresource_{f}": "on" for f in export_fields}},
    )

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        list(export_fields),
        [registration.candidate.id_number, registration.candidate.name, str(session.pk), session.name,
         "2023000009", registration.subject],
    ]


def test_it_exports_candidates_as_xlsx(admin_client, db):
    factories.CandidateFactory(name="张三", id_number=ALICE, phone="13800000000")

    response = admin_client.post(
        reverse("admin:candidates_candidate_export"),
        {"format": XLSX, "resource": "0",
         **{f"candidateresource_{f}": "on" for f in ("name", "document_type", "id_number", "phone")}},
    )

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [[c.value for c in row] for row in sheet.rows] == [
        ["name", "document_type", "id_number", "phone"],
        ["张三", "resident_id", ALICE, "13800000000"],
    ]


def test_it_lets_only_organizers_import_and_export(client, db):
    proctor = factories.staff_user("proctor", "proctor")
    client.force_login(proctor)

    assert client.get(reverse("admin:candidates_candidate_import")).status_code == 403
    assert client.get(reverse("admin:candidates_registration_export")).status_code == 403
    assert client.get(reverse("admin:candidates_candidate_changelist")).status_code == 200


def test_an_organizer_imports_a_file_end_to_end(client, session):
    client.force_login(factories.staff_user("organizer", "organizer"))

    import_file(client, "candidate", csv_bytes([["name", "id_number"], ["张三", ALICE]]))
    import_file(client, "registration", csv_bytes([["id_number", "session"], [ALICE, session.pk]]))

    assert Attempt.objects.get().registration.candidate.id_number == ALICE
