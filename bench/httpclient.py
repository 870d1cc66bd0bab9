"""A small HTTP/1.1 keep-alive client on asyncio streams.

The load generators share two cores with the server under test, so the client must cost as
little CPU as possible: no cookie jar, no URL parsing, headers written once as bytes.
"""

from __future__ import annotations

import asyncio


class HttpError(Exception):
    pass


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=2**20)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, *, headers: bytes = b"", body: bytes = b""
    ) -> tuple[int, dict[str, list[str]], bytes]:
        """One request; ``headers`` are extra header lines, each ending in CRLF."""
        if self.writer is None:
            await self.open()
        head = (
            (
                f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Content-Length: {len(body)}\r\n"
            ).encode()
            + headers
            + b"\r\n"
        )
        try:
            self.writer.write(head + body)
            return await self._response()
        except (ConnectionError, asyncio.IncompleteReadError, HttpError):
            self.close()
            raise

    async def _response(self) -> tuple[int, dict[str, list[str]], bytes]:
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise HttpError(f"bad status line {lines[0]!r}")
        status = int(parts[1])
        headers: dict[str, list[str]] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"][0]))
        elif "chunked" in headers.get("transfer-encoding", [""])[0].lower():
            body = await self._chunked()
        else:
            body = await self.reader.read()
            self.close()
            return status, headers, body
        if headers.get("connection", [""])[0].lower() == "close":
            self.close()
        return status, headers, body

    async def _chunked(self) -> bytes:
        chunks = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(chunks)
            chunks.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


def cookies_from(headers: dict[str, list[str]]) -> dict[str, str]:
    """name -> value of every Set-Cookie (attributes such as Secure are ignored on purpose:
    the bench talks plain HTTP on loopback to a server configured for HTTPS cookies)."""
    found = {}
    for line in headers.get("set-cookie", []):
        pair = line.split(";", 1)[0]
        name, _, value = pair.partition("=")
        found[name.strip()] = value.strip()
    return found
