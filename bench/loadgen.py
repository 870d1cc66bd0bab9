"""Load generator processes: asyncio HTTP and websocket clients, driven over a pipe.

Each worker is a separate (spawned) process with its own event loop. The controller sends
commands; sockets stay open in the worker between commands, so one command can connect
5,000 sockets and a later one ping them or wait for their ``collected`` message.

Times that must line up across processes are wall-clock (``time.time()``): every process
runs on the same machine. Latencies are measured with ``time.perf_counter()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import resource
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench.httpclient import Connection, cookies_from

CHOICES = ("A", "B", "C", "D")


def raise_nofile(wanted: int = 65536) -> int:
    """Raise the open-files limit (children inherit it); returns the soft limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for new_hard in (max(hard, wanted), hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, new_hard), new_hard))
            break
        except (ValueError, OSError):
            continue
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _header_bytes(identity: dict | None, extra: str = "") -> bytes:
    lines = "Content-Type: application/json\r\n" + extra
    if identity:
        lines += f"Cookie: {identity['cookie']}\r\nX-CSRFToken: {identity['csrf']}\r\n"
    return lines.encode()


async def _sleep_until(epoch: float) -> None:
    delay = epoch - time.time()
    if delay > 0:
        await asyncio.sleep(delay)


def _multipart(rng, fields: dict[str, str], name: str, payload: bytes, content_type: str) -> tuple[bytes, bytes]:
    """(Content-Type value, body) of a multipart/form-data upload: ``fields`` then one file."""
    boundary = f"bench{rng.getrandbits(64):016x}"
    head = "".join(
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n" for k, v in fields.items()
    )
    head += (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"c\"\r\n"
        f"Content-Type: {content_type}\r\n\r\n"
    )
    return f"multipart/form-data; boundary={boundary}".encode(), (
        head.encode() + payload + f"\r\n--{boundary}--\r\n".encode()
    )


@dataclass
class Socket:
    ws: Any
    tag: str
    echo: bool
    reader: asyncio.Task | None = None
    waiter: asyncio.Future | None = None
    collected_at: float | None = None
    closed: bool = False
    other: list = field(default_factory=list)


class Worker:
    def __init__(self, conn, name: str, stop) -> None:
        self.conn = conn
        self.name = name
        self.stop = stop  # set by the controller to end an open-loop run early
        self.sockets: list[Socket] = []
        self.seq = int(time.time() * 1000) * 1000

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            cmd, args = await loop.run_in_executor(None, self.conn.recv)
            if cmd == "exit":
                await self.cmd_ws_close_all()
                self.conn.send(("ok", None))
                return
            try:
                result = await getattr(self, f"cmd_{cmd}")(**args)
                self.conn.send(("ok", result))
            except Exception:
                self.conn.send(("error", f"{self.name} {cmd}: {traceback.format_exc()}"))

    # --- HTTP -------------------------------------------------------------------------

    def _autosave_body(self, questions: list[int]) -> bytes:
        self.seq += 1
        question = questions[self.seq % len(questions)]
        return json.dumps(
            {
                "entries": [{"question": question, "value": CHOICES[self.seq % 4], "seq": self.seq}],
                "current_question": question,
            }
        ).encode()

    async def cmd_http_closed(self, *, host, port, path, identities, questions, start_at, duration):
        """Closed loop: one connection per identity, each sends its next request as soon as the
        last one answered, from ``start_at`` for ``duration`` seconds."""
        conns = [Connection(host, port) for _ in identities]
        await asyncio.gather(*(c.open() for c in conns))
        samples: list[tuple] = []
        errors: list[str] = []
        end = start_at + duration

        async def loop_one(conn: Connection, identity: dict) -> None:
            headers = _header_bytes(identity)
            await _sleep_until(start_at)
            while time.time() < end:
                body = self._autosave_body(questions)
                t_wall = time.time()
                t0 = time.perf_counter()
                try:
                    status, resp_headers, resp_body = await conn.request(
                        "POST", path, headers=headers, body=body
                    )
                except Exception as error:  # a refused or reset connection is an error sample
                    errors.append(repr(error))
                    continue
                latency = time.perf_counter() - t0
                queries = resp_headers.get("x-bench-queries", ["-1"])[0]
                samples.append((t_wall - start_at, latency, status, int(queries)))
                if status >= 400 and len(errors) < 20:
                    errors.append(f"{status} {resp_body[:200]!r}")

        await asyncio.gather(*(loop_one(c, i) for c, i in zip(conns, identities, strict=True)))
        for c in conns:
            c.close()
        return {"samples": samples, "errors": errors}

    async def cmd_http_open(self, *, host, port, path, identities, questions, rate, start_at, duration):
        """Open loop: request i is due at start_at + i/rate whatever happened before; latency
        counts from when it was due (no coordinated omission). Runs ``duration`` seconds or
        until the controller sets the stop event."""
        pool: asyncio.Queue = asyncio.Queue()
        conns = []
        for identity in identities:
            c = Connection(host, port)
            await c.open()
            conns.append(c)
            pool.put_nowait((c, _header_bytes(identity)))
        samples: list[tuple] = []
        errors: list[str] = []
        tasks = []

        async def one(due: float) -> None:
            conn, headers = await pool.get()
            body = self._autosave_body(questions)
            t0 = time.perf_counter()
            try:
                status, resp_headers, _b = await conn.request("POST", path, headers=headers, body=body)
            except Exception as error:
                errors.append(repr(error))
                pool.put_nowait((conn, headers))
                return
            done = time.time()
            samples.append((due - start_at, done - due, time.perf_counter() - t0, status))
            pool.put_nowait((conn, headers))

        n = int(rate * duration)
        for i in range(n):
            due = start_at + i / rate
            await _sleep_until(due)
            if self.stop.is_set():
                break
            tasks.append(asyncio.ensure_future(one(due)))
        await asyncio.gather(*tasks)
        for c in conns:
            c.close()
        return {"samples": samples, "errors": errors}

    async def cmd_http_burst(self, *, host, port, nconns, requests, start_at):
        """All ``requests`` (path, header text, body) are due at ``start_at``; ``nconns``
        keep-alive connections, opened beforehand, work through them."""
        queue = deque((path, headers.encode(), body.encode()) for path, headers, body in requests)
        conns = [Connection(host, port) for _ in range(nconns)]
        await asyncio.gather(*(c.open() for c in conns))
        samples: list[tuple] = []
        errors: list[str] = []

        async def drain(conn: Connection) -> None:
            await _sleep_until(start_at)
            while queue:
                path, headers, body = queue.popleft()
                t_wall = time.time()
                t0 = time.perf_counter()
                try:
                    status, resp_headers, resp_body = await conn.request(
                        "POST", path, headers=headers, body=body
                    )
                except Exception as error:
                    errors.append(repr(error))
                    continue
                queries = int(resp_headers.get("x-bench-queries", ["-1"])[0])
                samples.append(
                    (t_wall - start_at, time.perf_counter() - t0, status, time.time() - start_at, queries)
                )
                if status >= 400 and len(errors) < 20:
                    errors.append(f"{status} {resp_body[:300]!r}")

        await asyncio.gather(*(drain(c) for c in conns))
        for c in conns:
            c.close()
        return {"samples": samples, "errors": errors}

    # --- the exam-day mix (capacity phase) --------------------------------------------

    async def cmd_exam_mix(
        self, *, host, port, candidates, questions, jpeg_hex, start_at, duration, save_mean=20.0,
        snapshot_every=30.0, ping_every=20.0, event_per_minute=0.1, recording_path="", recording_hex="",
    ):
        """Each candidate (identity + attempt) acts like the exam page for ``duration`` seconds:
        an autosave of 1-3 entries on average every ``save_mean`` s (Poisson), a camera snapshot
        every ``snapshot_every`` s, a ping on its held socket every ``ping_every`` s, a focus
        loss now and then; with ``recording_path`` a recording chunk every 10 s. Returns the
        latencies by kind, the errors and the last acknowledged value of every answer."""
        import random

        rng = random.Random(hash(self.name))
        # An attempt may be driven by the other load process in the next probe: every seq of
        # this run is above every seq sent before it (as a page's counter only grows).
        self.seq = max(self.seq, int(time.time() * 1000) * 1000)
        jpeg = bytes.fromhex(jpeg_hex)
        chunk = bytes.fromhex(recording_hex)
        end = start_at + duration
        samples: dict[str, list] = {"save": [], "snapshot": [], "event": [], "recording": []}
        errors: list[str] = []
        acked: dict[str, dict[str, Any]] = {}
        by_attempt = {s.tag: s for s in self.sockets if not s.closed}

        def multipart(fields: dict[str, str], name: str, payload: bytes, content_type: str) -> tuple[bytes, bytes]:
            return _multipart(rng, fields, name, payload, content_type)

        async def send(conn: Connection, kind: str, path: str, headers: bytes, body: bytes) -> int:
            due = time.time()
            t0 = time.perf_counter()
            try:
                status, _h, resp = await conn.request("POST", path, headers=headers, body=body)
            except Exception as error:
                errors.append(f"{kind} {error!r}"[:200])
                return 0
            samples[kind].append((due - start_at, time.perf_counter() - t0, status))
            if status >= 400 and len(errors) < 50:
                errors.append(f"{kind} {status} {resp[:160]!r}")
            return status

        async def candidate(item: dict) -> None:
            conn = Connection(host, port)
            ident = {"cookie": item["cookie"], "csrf": item["csrf"]}
            json_headers = _header_bytes(ident)
            cookie = f"Cookie: {item['cookie']}\r\nX-CSRFToken: {item['csrf']}\r\n".encode()
            mine = acked.setdefault(item["tag"], {})
            await _sleep_until(start_at + rng.uniform(0, min(5.0, duration / 4)))
            next_save = time.time() + rng.expovariate(1 / save_mean)
            next_snap = time.time() + rng.uniform(0, snapshot_every)
            next_ping = time.time() + rng.uniform(0, ping_every)
            next_rec = time.time() + rng.uniform(0, 10.0) if recording_path else float("inf")
            rec_seq = 0
            while True:
                now = time.time()
                due = min(next_save, next_snap, next_ping, next_rec)
                if due >= end:
                    break
                if due > now:
                    await asyncio.sleep(due - now)
                if due == next_save:
                    self.seq += 1
                    entries = [
                        {"question": q, "value": CHOICES[(self.seq + i) % 4], "seq": self.seq * 4 + i}
                        for i, q in enumerate(rng.sample(questions, rng.randint(1, 3)))
                    ]
                    body = json.dumps({"entries": entries, "current_question": entries[0]["question"]}).encode()
                    if await send(conn, "save", "/api/v1/candidate/attempt/answers/", json_headers, body) == 200:
                        for e in entries:
                            mine[str(e["question"])] = e["value"]
                    next_save += rng.expovariate(1 / save_mean)
                elif due == next_snap:
                    ctype, body = multipart(
                        {"kind": "snapshot", "capture_id": f"{rng.getrandbits(64):016x}"}, "photo", jpeg, "image/jpeg"
                    )
                    headers = b"Content-Type: " + ctype + b"\r\n" + cookie
                    await send(conn, "snapshot", "/api/v1/candidate/attempt/photo/", headers, body)
                    next_snap += snapshot_every
                    if rng.random() < event_per_minute * snapshot_every / 60:
                        body = json.dumps({"events": [{"kind": "focus_loss"}]}).encode()
                        await send(conn, "event", "/api/v1/candidate/attempt/events/", json_headers, body)
                elif due == next_ping:
                    sock = by_attempt.get(item["tag"])
                    if sock is not None and not sock.closed:
                        with contextlib.suppress(Exception):
                            await sock.ws.send(json.dumps({"type": "ping", "client_time": int(time.time() * 1000)}))
                    next_ping += ping_every
                else:  # a complete WebM chunk as the page's recorder makes every 10 s (seq per stream)
                    started = datetime.now(UTC).isoformat()
                    fields = {"stream": "computer", "seq": str(rec_seq), "started_at": started, "duration": "10"}
                    ctype, body = multipart(fields, "chunk", chunk, "video/webm")
                    await send(conn, "recording", recording_path, b"Content-Type: " + ctype + b"\r\n" + cookie, body)
                    rec_seq += 1
                    next_rec += 10.0
            conn.close()

        await asyncio.gather(*(candidate(c) for c in candidates))
        lost_sockets = sum(1 for c in candidates if (s := by_attempt.get(c["tag"])) is None or s.closed)
        return {"samples": samples, "errors": errors, "acked": acked, "sockets_lost": lost_sockets}

    async def cmd_login_slice(self, *, host, ports, id_numbers, password, csrf, jpeg_hex, start_at, rate):
        """Candidates arriving at ``rate`` per second (Poisson) from ``start_at``, each as the
        login pages do it in a new browser: the session password (entry), the ID number
        (login; on ``503 login_busy`` wait Retry-After plus a random jitter and try again, as
        the page does), the attempt read and the login photo. Login latency counts from the
        first try to success, queueing included: what the candidate waits."""
        import random

        rng = random.Random(hash(self.name) ^ 0x5EED)
        jpeg = bytes.fromhex(jpeg_hex)
        samples: dict[str, list] = {"entry": [], "login": [], "attempt": [], "photo": []}
        errors: list[str] = []
        busy = 0

        async def one(id_number: str, due: float, port: int) -> None:
            await _sleep_until(due)
            conn = Connection(host, port)
            base = f"Content-Type: application/json\r\nCookie: csrftoken={csrf}\r\nX-CSRFToken: {csrf}\r\n".encode()

            async def step(kind: str, method: str, path: str, headers: bytes, body: bytes = b"") -> tuple:
                """One request of the flow, timed; a login answered 503 is tried again as the
                page does, its wait counted. Returns (status, headers) or None after an error."""
                nonlocal busy
                t0 = time.perf_counter()
                for _try in range(30):
                    status, resp_headers, resp = await conn.request(method, path, headers=headers, body=body)
                    if status != 503 or kind != "login":
                        break
                    busy += 1
                    wait = float((resp_headers.get("retry-after") or ["2"])[0])
                    await asyncio.sleep(wait + rng.uniform(0, wait / 2))
                samples[kind].append((due - start_at, time.perf_counter() - t0, status))
                if status >= 400:
                    errors.append(f"{kind} {status} {resp[:160]!r}")
                    return None
                return status, resp_headers

            try:
                if await step("entry", "POST", "/api/v1/candidate/entry/", base,
                              json.dumps({"password": password}).encode()) is None:
                    return
                login = await step("login", "POST", "/api/v1/candidate/login/", base,
                                   json.dumps({"password": password, "id_number": id_number}).encode())
                if login is None:
                    return
                session = cookies_from(login[1]).get("sessionid", "")
                cookie = f"Cookie: sessionid={session}; csrftoken={csrf}\r\nX-CSRFToken: {csrf}\r\n".encode()
                if await step("attempt", "GET", "/api/v1/candidate/attempt/", cookie) is None:
                    return
                ctype, body = _multipart(rng, {"kind": "login_photo"}, "photo", jpeg, "image/jpeg")
                await step("photo", "POST", "/api/v1/candidate/attempt/photo/",
                           b"Content-Type: " + ctype + b"\r\n" + cookie, body)
            except Exception as error:
                errors.append(f"login flow {error!r}"[:200])
            finally:
                conn.close()

        due, dues = start_at, []
        for _ in id_numbers:
            due += rng.expovariate(rate) if rate > 0 else 0.0
            dues.append(due)
        await asyncio.gather(
            *(one(idn, d, ports[i % len(ports)]) for i, (idn, d) in enumerate(zip(id_numbers, dues, strict=True)))
        )
        return {"samples": samples, "errors": errors[:50], "error_count": len(errors), "busy": busy}

    # --- websockets -------------------------------------------------------------------

    async def cmd_ws_connect(self, *, url, items, origin, concurrency, start_at, echo):
        """Open one socket per item (cookie header), each done when its first message (sync
        or hello) arrived."""
        from websockets.asyncio.client import connect

        gate = asyncio.Semaphore(concurrency)
        done_at: list[float] = []
        failures: list[str] = []

        async def one(item: dict) -> None:
            async with gate:
                try:
                    ws = await connect(
                        url,
                        origin=origin,
                        additional_headers={"Cookie": item["cookie"]} if item["cookie"] else None,
                        compression=None,
                        ping_interval=None,
                        open_timeout=60,
                        close_timeout=10,
                        max_queue=8,
                    )
                    first = await asyncio.wait_for(ws.recv(), 60)
                except Exception as error:
                    failures.append(repr(error)[:200])
                    return
                if not echo and '"sync"' not in first:
                    failures.append(f"unexpected first message {first[:120]}")
                    await ws.close()
                    return
                done_at.append(time.time() - start_at)
                sock = Socket(ws=ws, tag=item.get("tag", ""), echo=echo)
                sock.reader = asyncio.ensure_future(self._reader(sock))
                self.sockets.append(sock)

        await _sleep_until(start_at)
        await asyncio.gather(*(one(item) for item in items))
        return {"done_at": done_at, "failures": failures, "open": len(self.sockets)}

    async def _reader(self, sock: Socket) -> None:
        try:
            async for message in sock.ws:
                now = time.time()
                if sock.waiter is not None and not sock.waiter.done() and (sock.echo or '"pong"' in message):
                    sock.waiter.set_result(now)
                elif '"collected"' in message:
                    sock.collected_at = now
                elif len(sock.other) < 5:
                    sock.other.append(message[:200])
        except Exception:  # noqa: S110 - a closed socket just stops reading
            pass
        sock.closed = True

    async def cmd_ws_ping_all(self, *, start_at, timeout=60.0):
        """Send one ping on every socket at ``start_at``; returns each round trip."""
        loop = asyncio.get_running_loop()
        await _sleep_until(start_at)
        live = [s for s in self.sockets if not s.closed]
        for s in live:
            s.waiter = loop.create_future()
        sent: dict[int, float] = {}

        async def send(i: int, s: Socket) -> None:
            sent[i] = time.time()
            try:
                await s.ws.send(json.dumps({"type": "ping", "client_time": int(sent[i] * 1000)}))
            except Exception:
                s.waiter.cancel()

        await asyncio.gather(*(send(i, s) for i, s in enumerate(live)))
        await asyncio.wait([s.waiter for s in live], timeout=timeout)
        rtts, answered_at, lost = [], [], 0
        for i, s in enumerate(live):
            if s.waiter.done() and not s.waiter.cancelled():
                rtts.append(s.waiter.result() - sent[i])
                answered_at.append(s.waiter.result() - start_at)
            else:
                lost += 1
        return {"rtts": rtts, "answered_at": answered_at, "lost": lost, "sockets": len(live)}

    async def cmd_ws_collected(self, *, deadline, timeout):
        """Wait until every socket has received ``collected``; times are after ``deadline``."""
        end = time.time() + timeout
        while time.time() < end and any(s.collected_at is None and not s.closed for s in self.sockets):
            await asyncio.sleep(0.05)
        after = [s.collected_at - deadline for s in self.sockets if s.collected_at is not None]
        missing = [s for s in self.sockets if s.collected_at is None]
        return {
            "after_deadline": after,
            "missing": len(missing),
            "missing_closed": sum(1 for s in missing if s.closed),
            "other_messages": [m for s in missing[:3] for m in s.other],
        }

    async def cmd_ws_close_all(self, concurrency: int = 200):
        gate = asyncio.Semaphore(concurrency)
        t0 = time.perf_counter()

        async def close(s: Socket) -> None:
            async with gate:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(s.ws.close(), 15)
                if s.reader is not None:
                    s.reader.cancel()

        count = len(self.sockets)
        await asyncio.gather(*(close(s) for s in self.sockets))
        self.sockets = []
        return {"closed": count, "seconds": time.perf_counter() - t0}

    async def cmd_noop(self):
        return {"pid": multiprocessing.current_process().pid}


def worker_main(conn, name: str, stop) -> None:
    raise_nofile()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(Worker(conn, name, stop).serve())


class Fleet:
    """The controller's handle on the worker processes."""

    def __init__(self, size: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.pipes = []
        self.processes = []
        self.stops = []
        for i in range(size):
            parent, child = ctx.Pipe()
            stop = ctx.Event()
            process = ctx.Process(target=worker_main, args=(child, f"loadgen-{i}", stop), daemon=True)
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)
            self.stops.append(stop)
        self.run([("noop", {})] * size)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def run(self, calls: list[tuple[str, dict] | None]) -> list[Any]:
        """Send one command per worker (None: that worker sits this one out), wait for all."""
        for pipe, call in zip(self.pipes, calls, strict=False):
            if call is not None:
                pipe.send(call)
        results = []
        for pipe, call in zip(self.pipes, calls, strict=False):
            if call is None:
                results.append(None)
                continue
            status, value = pipe.recv()
            if status != "ok":
                raise RuntimeError(value)
            results.append(value)
        return results

    def one(self, index: int, cmd: str, **args) -> Any:
        calls: list = [None] * len(self.pipes)
        calls[index] = (cmd, args)
        return self.run(calls)[index]

    def send(self, index: int, cmd: str, **args) -> None:
        """Start a command on one worker without waiting (collect it with ``receive``)."""
        self.pipes[index].send((cmd, args))

    def receive(self, index: int) -> Any:
        status, value = self.pipes[index].recv()
        if status != "ok":
            raise RuntimeError(value)
        return value

    def close(self) -> None:
        for pipe, process in zip(self.pipes, self.processes, strict=True):
            try:
                if process.is_alive():
                    pipe.send(("exit", {}))
                    if pipe.poll(30):
                        pipe.recv()
            except (OSError, EOFError):
                pass
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
