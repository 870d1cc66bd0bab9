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
