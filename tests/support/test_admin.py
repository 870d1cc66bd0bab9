"""Admin: organizers manage the FAQ; tickets are read-only records there."""

from __future__ import annotations

from django.test import Client

from support.models import FaqEntry, Ticket
from tests import factories


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_organizer_adds_a_faq_entry_for_a_batch_and_lists_them_in_order(organizer):
    batch = factories.BatchFactory(name="七月批次")
    FaqEntry.objects.create(question="通用问题", answer="通用解答", position=5)
    client = _client(organizer)
    response = client.post("/admin/support/faqentry/add/", {
        "batch": batch.id, "question": "本批次的草稿纸要求", "answer": "一张 A4 白纸。",
        "keywords": "草稿纸，A4", "position": 1, "published": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = FaqEntry.objects.get(question="本批次的草稿纸要求")
    assert entry.batch == batch and entry.published
    listing = client.get("/admin/support/faqentry/?q=草稿纸").content.decode()
    assert "本批次的草稿纸要求" in listing and "七月批次" in listing
    global_only = client.get("/admin/support/faqentry/?scope=global").content.decode()
    assert "通用问题" in global_only and "本批次的草稿纸要求" not in global_only


def test_support_staff_read_the_faq_but_cannot_edit_it(support_agent):
    entry = FaqEntry.objects.create(question="通用问题", answer="通用解答")
    client = _client(support_agent)
    assert client.get("/admin/support/faqentry/").status_code == 200
    assert client.get("/admin/support/faqentry/add/").status_code == 403
    client.post(f"/admin/support/faqentry/{entry.id}/change/", {"question": "改了", "answer": "改了"})
    assert FaqEntry.objects.get(pk=entry.pk).question == "通用问题"


def test_tickets_in_the_admin_cannot_be_added_edited_or_deleted(anonymous, support_agent):
    ticket_id = anonymous.ask({"text": "问题", "contact": "13800000000"}).json()["ticket"]["id"]
    superuser = factories.staff_user("root", superuser=True)
    for user in (support_agent, superuser):
        client = _client(user)
        assert client.get("/admin/support/ticket/").status_code == 200
        assert client.get("/admin/support/ticket/add/").status_code == 403
        assert client.post(f"/admin/support/ticket/{ticket_id}/delete/", {"post": "yes"}).status_code == 403
        page = client.get(f"/admin/support/ticket/{ticket_id}/change/")
        assert page.status_code == 200 and "13800000000" in page.content.decode()
        client.post(f"/admin/support/ticket/{ticket_id}/change/", {"text": "改了"})
    assert Ticket.objects.get(pk=ticket_id).text == "问题"


def test_the_ticket_list_finds_a_ticket_by_the_candidates_id_number(anonymous, attempt, organizer):
    from datetime import timedelta

    from tests.helpers import START, at

    with at(START + timedelta(minutes=20)):
        id_number = attempt.registration.candidate.id_number
        anonymous.ask({"text": "登不上", "contact": "1", "id_number": id_number})
    anonymous.ask({"text": "别的问题", "contact": "2"})
    response = _client(organizer).get(
        "/admin/support/ticket/", {"q": attempt.registration.candidate.id_number.lower()}
    )
    assert [t.text for t in response.context["cl"].result_list] == ["登不上"]
    assert "张三" in response.content.decode()
