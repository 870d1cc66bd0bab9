"""Issue 16, the staff's side of the walk-through: the monitor's count cards in English and in
the batch's time zone, named."""

from __future__ import annotations

import re

from tests import factories


def test_the_monitor_reads_in_english_with_the_batch_zone_named(client, attempt):
    client.force_login(factories.staff_user("boss", superuser=True))
    client.cookies["django_language"] = "en"
    body = client.get(f"/monitor/{attempt.session_id}/").content.decode()
    counts = body.split('class="monitor-counts"', 1)[1].split("</ul>", 1)[0]
    labels = re.findall(r'monitor-count__label">([^<]+)<', counts)
    assert "Not logged in" in labels and "Answering" in labels and "Locked" in labels
    assert not any(re.search(r"[\u4e00-\u9fff]", label) for label in labels)
    assert f"time zone {attempt.session.batch.time_zone}" in body
    assert "<title>Live monitor · " in body


def unlabelled_fields(html: str) -> list[str]:
    """Visible inputs, selects and textareas with neither aria-label nor a <label for=...>."""
    labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
    missing = []
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
        if re.search(r'type="(?:hidden|submit|button)"', tag) or "aria-label=" in tag:
            continue
        found = re.search(r'id="([^"]+)"', tag)
        if not found or found.group(1) not in labelled:
            missing.append(tag[:120])
    return missing


def test_every_field_of_the_batch_and_session_pages_is_labelled(admin_client, attempt):
    from support.models import StaffedPeriod

    session = attempt.session
    StaffedPeriod.objects.create(batch=session.batch, starts_at=session.starts_at, ends_at=session.ends_at)
    batch_page = admin_client.get(f"/admin/exams/exambatch/{session.batch_id}/change/").content.decode()
    session_page = admin_client.get(f"/admin/exams/examsession/{session.pk}/change/").content.decode()
    assert 'aria-label="开考时间（日期）"' in batch_page or 'aria-label="开始时间（日期）"' in batch_page
    assert unlabelled_fields(batch_page) == []
    assert unlabelled_fields(session_page) == []
    assert 'id="id_staffed_periods-0-DELETE"' in batch_page and 'aria-label="删除"' in batch_page


def test_the_batch_and_session_forms_read_and_name_the_batchs_zone(admin_client, attempt):
    from datetime import UTC, datetime

    session = attempt.session
    session.batch.time_zone = "Europe/London"
    session.batch.save(update_fields=["time_zone"])
    type(session).objects.filter(pk=session.pk).update(starts_at=datetime(2023, 7, 30, 1, 0, tzinfo=UTC))
    html = admin_client.get(f"/admin/exams/examsession/{session.pk}/change/").content.decode()
    starts = re.search(r'<input[^>]*name="starts_at_1"[^>]*>', html)
    assert starts and 'value="02:00"' in starts.group(0)  # 01:00 UTC is 02:00 in London in summer
    assert "时区 Europe/London" in html
    batch_page = admin_client.get(f"/admin/exams/exambatch/{session.batch_id}/change/").content.decode()
    inline_starts = re.search(r'<input[^>]*name="sessions-0-starts_at_1"[^>]*>', batch_page)
    assert inline_starts and 'value="02:00"' in inline_starts.group(0)
