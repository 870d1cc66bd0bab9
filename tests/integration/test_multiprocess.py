"""Two Daphne processes and a Celery worker with beat on one Redis (real processes)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from websockets.asyncio.client import connect
from websockets.typing import Origin

from tests.integration.stack import candidate_login, cookie_header, timedelta, utcnow

pytestmark = pytest.mark.services

SOCKETS = 12


async def _open_socket(port: int, cookies: str):
    ws = await connect(
        f"ws://127.0.0.1:{port}/ws/attempt/",
        additional_headers={"Cookie": cookies},
        origin=Origin(f"http://127.0.0.1:{port}"),
        open_timeout=10,
    )
    sync = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert sync["type"] == "sync"
    return ws, sync


async def _wait_for(ws, kind: str, timeout: float) -> tuple[dict, float]:
    end = time.monotonic() + timeout
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), max(0.01, end - time.monotonic())))
        if message["type"] == kind:
            return message, time.time()


def test_sockets_on_two_daphne_processes_receive_collected_soon_after_the_deadline(stack):
    ports = [stack.start_daphne("daphne-a"), stack.start_daphne("daphne-b")]
    stack.start_worker()
    now = utcnow()  # after the processes are up: a slow start must not eat the session
    deadline = now + timedelta(seconds=35)
    seats = stack.load_batch(starts_at=now - timedelta(minutes=1), ends_at=deadline, candidates=SOCKETS)
    clients = [
        (ports[i % 2], candidate_login(ports[i % 2], seats["password"], id_number))
        for i, id_number in enumerate(seats["id_numbers"])
    ]
    # One answer each over HTTP, so the receipts cover something.
    for _port, client in clients:
        body = client.get("/api/v1/candidate/attempt/").json()
        question = body["questions"][0]["id"]
        saved = client.post(
            "/api/v1/candidate/attempt/answers/",
            json={"entries": [{"question": question, "value": "A", "seq": 1}]},
            headers={"X-CSRFToken": client.cookies["csrftoken"]},
        )
        assert saved.json() == {"acked_seq": 1}

    async def scenario():
        sockets = [await _open_socket(port, cookie_header(client)) for port, client in clients]
        assert all(sync["deadline"] == deadline.isoformat() for _ws, sync in sockets)
        remaining = (deadline - utcnow()).total_seconds()
        assert remaining > 0, "setup took longer than the session"
        results = await asyncio.gather(
            *[_wait_for(ws, "collected", remaining + 15) for ws, _sync in sockets]
        )
        for ws, _sync in sockets:
            await ws.close()
        return results

    results = asyncio.run(scenario())
    lateness = [arrived - deadline.timestamp() for _message, arrived in results]
    assert all(len(message["receipt"]) == 64 for message, _ in results)
    assert max(lateness) < 5, (lateness, stack.log("worker"))
    # The database agrees: every attempt collected exactly once.
    for _port, client in clients:
        body = client.get("/api/v1/candidate/attempt/").json()
        assert body["state"] == "collected"
        assert body["answers"][str(body["questions"][0]["id"])]["value"] == "A" if body["questions"] else True


def test_a_redis_restart_drops_sockets_which_reconnect_and_resync_without_losing_answers(stack):
    now = utcnow()
    seats = stack.load_batch(starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1), candidates=3)
    port = stack.start_daphne("daphne")
    clients = [candidate_login(port, seats["password"], id_number) for id_number in seats["id_numbers"]]

    def save(client, seq, value):
        question = client.get("/api/v1/candidate/attempt/").json()["questions"][1]["id"]
        return client.post(
            "/api/v1/candidate/attempt/answers/",
            json={"entries": [{"question": question, "value": value, "seq": seq}]},
            headers={"X-CSRFToken": client.cookies["csrftoken"]},
        )

    async def scenario():
        sockets = [await _open_socket(port, cookie_header(c)) for c in clients]
        stack.stop_redis()
        # Autosave does not depend on Redis: the answers still reach the database.
        saved = [save(client, 2, f"down-{i}") for i, client in enumerate(clients)]
        stack.start_redis()
        # The pages reconnect and re-sync on the restarted Redis.
        again = [await _open_socket(port, cookie_header(c)) for c in clients]
        for ws, _ in sockets + again:
            await ws.close()
        return saved, again

    saved, again = asyncio.run(scenario())
    assert [r.status_code for r in saved] == [200, 200, 200], [r.text for r in saved]
    assert all(sync["state"] == "in_progress" for _ws, sync in again)
    for i, client in enumerate(clients):
        body = client.get("/api/v1/candidate/attempt/").json()
        question = str(body["questions"][1]["id"])
        assert body["answers"][question] == {"value": f"down-{i}", "seq": 2}
