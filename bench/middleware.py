"""Bench-only query counter (bench/settings.py adds it).

Counts the SQL statements one request executes and returns the count in the
``X-Bench-Queries`` response header, whatever DEBUG says. The counter lives in a context
variable: asgiref copies the context into the thread that runs sync code, so concurrent
requests sharing that thread's database connection are still counted apart. The middleware
is both sync and async capable, so adding it does not change how Django runs the chain.
"""

from __future__ import annotations

import contextvars

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.db.backends.signals import connection_created

HEADER = "X-Bench-Queries"
_counter: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("bench_queries", default=None)


def _count(execute, sql, params, many, context):
    box = _counter.get()
    if box is not None:
        box[0] += 1
    return execute(sql, params, many, context)


def _install(sender, connection, **kwargs) -> None:
    if _count not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count)


class QueryCountMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
        connection_created.connect(_install, weak=False, dispatch_uid="bench-query-count")

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        box = [0]
        token = _counter.set(box)
        try:
            response = self.get_response(request)
        finally:
            _counter.reset(token)
        response[HEADER] = str(box[0])
        return response

    async def __acall__(self, request):
        box = [0]
        token = _counter.set(box)
        try:
            response = await self.get_response(request)
        finally:
            _counter.reset(token)
        response[HEADER] = str(box[0])
        return response
