"""The ASGI handler: the middleware chain in sync mode (one thread hop per request) and at most
HTTP_CONCURRENCY requests in it at once per process, the rest waiting in the event loop."""

from __future__ import annotations

import asyncio
import inspect
import threading

import pytest
from asgiref.sync import ThreadSensitiveContext
from django.http import HttpResponse

from examsite.asgi_handler import SyncChainASGIHandler


def test_the_middleware_chain_runs_in_sync_mode():
    handler = SyncChainASGIHandler()
    assert not inspect.iscoroutinefunction(handler._middleware_chain)


@pytest.mark.asyncio
async def test_at_most_http_concurrency_requests_run_at_once(settings, monkeypatch):
    settings.HTTP_CONCURRENCY = 2
    handler = SyncChainASGIHandler()
    lock, release, two_running = threading.Lock(), threading.Event(), threading.Event()
    running = peak = served = 0

    def slow_request(request):
        nonlocal running, peak, served
        with lock:
            running += 1
            peak = max(peak, running)
            if running == 2:
                two_running.set()
        release.wait(10)
        with lock:
            running -= 1
            served += 1
        return HttpResponse("ok")

    monkeypatch.setattr(handler, "get_response", slow_request)

    async def one():
        async with ThreadSensitiveContext():  # as Django's ASGIHandler.__call__ does per request
            return await handler.get_response_async(object())

    tasks = [asyncio.ensure_future(one()) for _ in range(5)]
    assert await asyncio.to_thread(two_running.wait, 10)
    assert served == 0 and sum(t.done() for t in tasks) == 0
    release.set()
    responses = await asyncio.gather(*tasks)
    assert [r.status_code for r in responses] == [200] * 5
    assert (peak, served) == (2, 5)


def test_daphne_hands_multipart_bodies_on_without_parsing_them_first():
    # Twisted parses a multipart POST into request.args (Python's email parser) unless told
    # not to; Daphne never reads args and the application parses the body itself.
    from unittest import mock

    from daphne.http_protocol import WebRequest
    from twisted.web.test.requesthelper import DummyChannel

    from examsite.asgi_handler import daphne_skips_form_parsing

    daphne_skips_form_parsing()
    channel = DummyChannel()
    channel.factory = mock.Mock()
    request = WebRequest(channel)
    assert request._parsePOSTFormSubmission is False
    body = b"--b\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nsnapshot\r\n--b--\r\n"
    request.requestHeaders.setRawHeaders(b"Content-Type", [b"multipart/form-data; boundary=b"])
    request.gotLength(len(body))
    request.handleContentChunk(body)
    with mock.patch.object(WebRequest, "process") as process:
        request.requestReceived(b"POST", b"/api/v1/candidate/attempt/photo/", b"HTTP/1.1")
    process.assert_called_once()
    assert request.args == {} and request.content.read() == body  # untouched, from its start
