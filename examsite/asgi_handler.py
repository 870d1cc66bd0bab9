"""Django's ASGI handler with its middleware chain run synchronously, in one thread hop.

Under ASGI Django builds the middleware chain in async mode. Every middleware that can run both
ways (Django's own: sessions, CSRF, auth, messages...) then runs its ``process_request`` and
``process_response`` each through ``sync_to_async``, and the views here are synchronous (DRF): a
request bounced between the event loop and a worker thread a dozen times. Profiled under the
exam-day mix (bench/results.md), those hops took about a third of the Daphne process's CPU.

Here the chain is built in sync mode, as under WSGI, and the whole of it runs in one
``sync_to_async`` call per request (in the request's thread-sensitive context, so everything a
request does stays in one thread). The ASGI side (reading the body, sending the response,
disconnects, request signals) is Django's own.
"""

from __future__ import annotations

import asyncio

import django
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        super().__init__()
        self._slots: asyncio.Semaphore | None = None  # made in the server's event loop

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        if self._slots is None:
            self._slots = asyncio.Semaphore(max(1, settings.HTTP_CONCURRENCY))
        async with self._slots:
            return await sync_to_async(self.get_response, thread_sensitive=True)(request)


def daphne_skips_form_parsing() -> None:
    """Daphne's requests are Twisted's ``http.Request``, which parses every multipart POST body
    into ``request.args`` with Python's ``email`` parser before Daphne hands the raw body to the
    application, which parses it again. Nothing reads ``args``: that first parse was 11 % of a
    Daphne process under the exam-day mix with recording (bench/results.md). Twisted's own
    switch for it (``parsePOSTFormSubmission``) is not exposed by Daphne; this turns it off for
    Daphne's requests. Without Daphne (uvicorn, tests) there is nothing to do."""
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:
        return
    # A data descriptor on the class wins over the attribute Twisted's __init__ assigns.
    WebRequest._parsePOSTFormSubmission = property(lambda self: False, lambda self, value: None)


def get_asgi_application() -> SyncChainASGIHandler:
    """``django.core.asgi.get_asgi_application`` with the handler above."""
    django.setup(set_prefix=False)
    daphne_skips_form_parsing()
    return SyncChainASGIHandler()
