"""``make bench``: the exam-day benchmarks of issue 7, as ratios against bare baselines.

Phases (each alternates its A and B measurements ``BENCH_REPS`` times, default 3):
  setup       fresh PostgreSQL database, dedicated Redis db, load_batch, logged-in fixtures
  collection  session_collect of N open attempts vs a raw UPDATE            (figure 5)
  http        autosave vs the bare DRF view, Daphne vs uvicorn               (figures 1, 7)
  login       2,000-login burst vs a bare burst, autosave running alongside  (figure 2)
  sockets     attempt sockets vs echo sockets in one fresh Daphne process    (figures 3, 4)
  fanout      deadline -> "collected" on N sockets over two Daphnes vs echo  (figure 6)
  (py-spy samples the Daphne process during the last autosave window, the last login burst
  and the last 5,000-socket hold window)
Then bench/results.md, bench/results.json and bench/latency.png are written.

Environment: BENCH_SCALE (float, default 1) scales the counts; DATABASE_URL (PostgreSQL
server to create a bench_<random> database on), BENCH_REDIS_URL / BENCH_REDIS_DB, BENCH_REPS,
BENCH_WINDOW (seconds per HTTP window), BENCH_IDLE_SECONDS (CPU windows).
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import shutil
import string
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path

from bench import data, profiling, report
from bench.loadgen import Fleet, raise_nofile
from bench.stack import ROOT, Stack, cpu_seconds, rss_kib, tcp_connections_to
from bench.stats import metric, percentile, ratio

ANSWERS = "/api/v1/candidate/attempt/answers/"
LOGIN = "/api/v1/candidate/login/"
BARE = "/bench/bare/"
QUICK = os.environ.get("BENCH_QUICK") == "1"
# BENCH_PHASES="login sockets": only those phases (after setup), for development; a report of a
# partial run is written under var/bench-quick/ like make bench-quick's.
# The capacity probe's logins: the real window is 5 minutes before the start (SPEC); each probe
# runs a slice of it at that rate while the others already answer.
LOGIN_WINDOW_SECONDS = 300.0
# The capacity phase's servers, as deployed (one Daphne process per core, deploy/README.md): two,
# one per load process (this machine has 2 cores; a bigger one still runs two).
CAPACITY_SERVERS = ("daphne", "daphne-cap")
LOGIN_SLICE_SECONDS = 60.0
PHASE_METHODS = {"login": "login_storm", "capacity_recording": "capacity_with_recording"}
# make bench-quick writes its report under var/ (never over the committed full run's).
OUT = ROOT / "var" / "bench-quick" if QUICK or os.environ.get("BENCH_PHASES") else ROOT / "bench"


@dataclass
class Config:
    scale: float
    reps: int
    window: float
    idle_seconds: float
    logins: int
    sockets: int
    collect: int
    save_sessions: int = 128
    closed_conns: int = 32  # per load process, two processes
    burst_conns: int = 100  # per load process, two processes
    background_rate: float = 40.0  # autosaves per second during the login storm
    connect_concurrency: int = 50  # websocket handshakes in flight per load process
    db_pool: bool = True
    redis: str = ""

    @classmethod
    def from_env(cls) -> Config:
        scale = float(os.environ.get("BENCH_SCALE") or (0.1 if QUICK else 1))
        sockets = max(20, round(5000 * scale))
        return cls(
            scale=scale,
            reps=int(os.environ.get("BENCH_REPS") or (1 if QUICK else 3)),
            window=float(os.environ.get("BENCH_WINDOW") or 5),
            idle_seconds=float(os.environ.get("BENCH_IDLE_SECONDS") or 20),
            logins=max(20, round(2000 * scale)),
            sockets=sockets,
            collect=max(sockets, round(10000 * scale)),
        )


@dataclass
class Run:
    config: Config
    started: float = field(default_factory=time.time)
    phases: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    series: dict = field(default_factory=dict)
    profiles: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    machine: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}s"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Bench:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.run = Run(config=config)
        self.workdir = Path(tempfile.mkdtemp(prefix="bench-"))
        self.stack = Stack(self.workdir)
        config.db_pool = self.stack.pool
        config.redis = (
            f"db {self.stack.redis_db} of BENCH_REDIS_URL (flushed at start)"
            if self.stack.shared_redis
            else "a private redis-server on a free loopback port (maxclients 60,000; BENCH_REDIS_URL to "
            "use a "
            "shared server instead): the Daphne processes open Redis connections in proportion to their "
            "sockets, which could exhaust a shared server"
        )
        self.fleet: Fleet | None = None
        self.csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
        self.prep: dict = {}
        self.plan = data.Plan(collect=config.collect, save=config.save_sessions, login=config.logins)
        self.ports: dict[str, int] = {}
        self.pids: dict[str, int] = {}

    # --- helpers --------------------------------------------------------------------------

    def phase(self, name: str, fn, *, required: bool = False) -> None:
        log(f"phase {name} ...")
        t0 = time.monotonic()
        try:
            fn()
        except Exception:
            self.run.errors.append({"phase": name, "error": traceback.format_exc()[-4000:]})
            log(f"phase {name} FAILED:\n{traceback.format_exc()}")
            if required:
                raise
        finally:
            self.run.phases[name] = round(time.monotonic() - t0, 1)
            log(f"phase {name} done in {self.run.phases[name]} s")

    def djtask(self, command: str, args: dict, timeout: float = 600) -> dict:
        args_file = self.workdir / f"{command}-args.json"
        out_file = self.workdir / f"{command}-out.json"
        args_file.write_text(json.dumps(args))
        self.stack.django("-m", "bench.djtasks", command, str(out_file), str(args_file), timeout=timeout)
        return json.loads(out_file.read_text())

    def identity(self, session_key: str) -> dict:
        return {"cookie": f"sessionid={session_key}; csrftoken={self.csrf}", "csrf": self.csrf}

    @property
    def save_identities(self) -> list[dict]:
        return [self.identity(s["session"]) for s in self.prep["logged_in"]["save"]]

    def sql(self, statement: str, params: list) -> int:
        with self.stack.pg() as conn:
            cur = conn.execute(statement, params)
            return cur.rowcount

    # --- setup ------------------------------------------------------------------------------

    def setup(self) -> None:
        c = self.config
        self.run.machine = machine_info()
        self.stack.start_redis()
        self.stack.flush_redis()
        self.stack.create_database()
        big, small = data.write_batches(self.workdir, self.plan)
        t0 = time.monotonic()
        loads = [
            subprocess.Popen(
                [sys.executable, "manage.py", "load_batch", str(path)],
                cwd=ROOT,
                env=self.stack.env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for path in (big, small)
        ]
        for process in loads:
            out, err = process.communicate(timeout=900)
            if process.returncode != 0:
                raise RuntimeError(f"load_batch failed:\n{out[-2000:]}\n{err[-2000:]}")
        self.run.details["load_batch_seconds"] = round(time.monotonic() - t0, 1)
        self.prep = self.djtask(
            "prep",
            {
                "slugs": [data.BIG_SLUG, data.SMALL_SLUG],
                "save_sessions": c.save_sessions,
                "sockets": c.sockets,
            },
        )
        self.run.versions = versions(self.stack)

    def start_servers(self) -> None:
        self.ports["daphne"], self.pids["daphne"] = self.stack.start_daphne("daphne-1")
        if not QUICK:  # figure 7 only
            self.ports["uvicorn"], self.pids["uvicorn"] = self.stack.start_uvicorn("uvicorn-1")
        self.pids["celery"] = self.stack.start_worker()
        self.fleet = Fleet(3)
        self.preflight()

    def preflight(self) -> None:
        """The baseline routes exist and the candidate API answers as the bench expects."""
        import httpx

        servers = [k for k in ("daphne", "uvicorn") if k in self.ports]
        for server in servers:
            base = f"http://127.0.0.1:{self.ports[server]}"
            bare = httpx.post(base + BARE, json={"a": 1}, timeout=30)
            if bare.status_code != 200 or "x-bench-queries" not in bare.headers:
                raise RuntimeError(
                    f"{server}: {BARE} answered {bare.status_code} without X-Bench-Queries: "
                    f"is BENCH_BASELINE "
                    f"wired in examsite/settings.py and examsite/urls.py? {bare.text[:300]}"
                )
            ident = self.save_identities[-1]
            body = {
                "entries": [
                    {
                        "question": self.prep["single_choice_questions"][0],
                        "value": "A",
                        "seq": int(time.time() * 1000),
                    }
                ]
            }
            saved = httpx.post(
                base + ANSWERS,
                json=body,
                timeout=30,
                headers={"Cookie": ident["cookie"], "X-CSRFToken": ident["csrf"]},
            )
            if saved.status_code != 200:
                raise RuntimeError(f"{server}: autosave answered {saved.status_code}: {saved.text[:500]}")
        # Warm both servers on every path the windows use.
        for server in servers:
            for path in (BARE, ANSWERS):
                self.http_window(server, path, 1.5)

    # --- finding: persistent connections under ASGI -------------------------------------

    def conn_probe(self) -> None:
        """PostgreSQL connections one Daphne process holds under a little autosave load, with
        the settings' CONN_MAX_AGE, with 0, and with psycopg's pool. Django runs each ASGI
        request's sync code in a thread of its own, so a persistent connection is never reused.
        Kept tiny (4 clients, 3 s) and the server is stopped at 30 connections: the PostgreSQL
        server may be shared."""
        import psycopg

        default = "settings default (psycopg pool)"
        variants = [
            (default, {"DB_POOL": "1", "CONN_MAX_AGE": None}),
            ("no pool, CONN_MAX_AGE=0", {"DB_POOL": "0", "CONN_MAX_AGE": "0"}),
            ("no pool, CONN_MAX_AGE=60 (the default before the pool)", {"DB_POOL": "0", "CONN_MAX_AGE": "60"}),
        ]
        limit, clients = 30, 4
        out = {}
        query = "SELECT count(*) - 1 FROM pg_stat_activity WHERE datname = %s"
        with psycopg.connect(self.stack.database_url, autocommit=True) as watcher:
            for i, (label, env) in enumerate(variants):
                name = f"probe-{i}"
                self.ports[name], pid = self.stack.start_daphne(name, **env)
                try:
                    self.http_window(name, BARE, 1.0, conns=2)
                    before = watcher.execute(query, [self.stack.db_name]).fetchone()[0]
                    samples: list[tuple[float, int]] = []
                    stop = threading.Event()
                    t0 = time.time()

                    def sample(samples=samples, stop=stop, name=name, before=before, t0=t0) -> None:
                        while not stop.is_set():
                            held = watcher.execute(query, [self.stack.db_name]).fetchone()[0] - before
                            samples.append((time.time() - t0, held))
                            if held >= limit:
                                self.stack.stop(name)  # frees its connections at once
                                return
                            time.sleep(0.05)

                    sampler = threading.Thread(target=sample, daemon=True)
                    sampler.start()
                    window = self.http_window(name, ANSWERS, 3.0, conns=clients // 2)
                    stop.set()
                    sampler.join()
                    peak_at, peak = max(samples, key=lambda s: s[1]) if samples else (0.0, 0)
                    out[label] = {
                        "clients": clients,
                        "peak_connections": peak,
                        "stopped_at_limit": peak >= limit,
                        "seconds_to_peak": round(peak_at - 0.5, 2),
                        "ok": window["ok"],
                        "requests": window["requests"],
                        "throughput": window["throughput"],
                        "errors": window["errors"][:2],
                    }
                finally:
                    self.stack.stop(name)
                time.sleep(1.0)
        self.run.details["conn_probe"] = out
        self.run.metrics["conn_probe"] = {
            "name": f"PostgreSQL connections held by one Daphne process, {clients} autosave clients, 3 s "
            f"(stopped at {limit})",
            "variants": {
                k: (
                    f"≥{v['peak_connections']} after {v['seconds_to_peak']} s"
                    if v["stopped_at_limit"]
                    else v["peak_connections"]
                )
                for k, v in out.items()
            },
            "met": out[default]["peak_connections"] <= clients,
            "goal": "at most one per client in flight",
        }

    # --- figure 5: collection -----------------------------------------------------------

    def collection(self) -> None:
        out = self.djtask("collect", {"slugs": [data.BIG_SLUG, data.SMALL_SLUG], "reps": self.config.reps})
        reps = out["reps"]
        ratios = [ratio(r["collect"]["seconds"], r["raw"]["seconds"]) for r in reps]
        q_big = [r["collect"]["queries"] for r in reps]
        q_small = out["at_100"]["queries"]
        n = reps[0]["collect"]["collected"]
        self.run.metrics["collect_vs_raw"] = metric(
            f"forced collection of {n:,} attempts: session_collect time / raw UPDATE time",
            ratios,
            goal="≤ 3x",
            op="<=",
            target=3.0,
        )
        self.run.metrics["collect_vs_floor"] = metric(
            "the same collection / its floor (lock the due rows, move them, write their audit rows: no "
            "receipt, no score)",
            [ratio(r["collect"]["seconds"], r["floor"]["seconds"]) for r in reps],
            goal="(context: the measured alternative)",
            op="<=",
            target=float("inf"),
        )
        self.run.metrics["collect_queries"] = {
            "name": "queries for session_collect at 100 vs at N attempts",
            "at_100": q_small,
            "at_n": q_big,
            "n": n,
            "met": all(q == q_small for q in q_big),
            "goal": "same number",
            "statements": reps[0]["collect"]["statements"],
        }
        self.run.details["collection"] = {
            "reps": [
                {
                    "collect_s": r["collect"]["seconds"],
                    "sql_s": r["collect"]["sql_seconds"],
                    "raw_s": r["raw"]["seconds"],
                    "floor_s": r["floor"]["seconds"],
                    "statements": r["collect"]["statements"],
                    "collected": r["collect"]["collected"],
                    "raw_rows": r["raw"]["collected"],
                }
                for r in reps
            ],
            "at_100": {k: out["at_100"][k] for k in ("seconds", "queries", "collected", "sql_seconds")},
        }
        self.run.profiles["collect"] = out.get("profile")

    # --- figures 1 and 7: autosave vs bare, Daphne vs uvicorn --------------------------------

    def http_window(
        self,
        server: str,
        path: str,
        duration: float,
        *,
        ids: tuple[int, int] = (0, 1),
        conns: int | None = None,
    ) -> dict:
        """A closed-loop window: ``conns`` keep-alive connections per load process (each with its
        own logged-in candidate), every one sending its next request as soon as it has an answer."""
        conns = conns or self.config.closed_conns
        identities = self.save_identities
        start_at = time.time() + 0.5
        calls: list = [None] * 3
        for slot, worker in enumerate(ids):
            calls[worker] = (
                "http_closed",
                {
                    "host": "127.0.0.1",
                    "port": self.ports[server],
                    "path": path,
                    "identities": identities[slot * conns : (slot + 1) * conns],
                    "questions": self.prep["single_choice_questions"],
                    "start_at": start_at,
                    "duration": duration,
                },
            )
        results = [r for r in self.fleet.run(calls) if r is not None]
        samples = [s for r in results for s in r["samples"] if s[0] < duration]
        ok = [s for s in samples if s[2] == 200]
        latencies = [s[1] for s in ok]
        return {
            "server": server,
            "path": path,
            "duration": duration,
            "requests": len(samples),
            "ok": len(ok),
            "throughput": len(ok) / duration,
            "p50": percentile(latencies, 50),
            "p99": percentile(latencies, 99),
            "queries": sorted({s[3] for s in ok}),
            "query_counts": [s[3] for s in ok],
            "errors": [e for r in results for e in r["errors"]][:5],
            "series": [(s[0], s[1]) for s in ok],
        }

    def http(self) -> None:
        c = self.config
        order = [("daphne", BARE), ("daphne", ANSWERS), ("uvicorn", BARE), ("uvicorn", ANSWERS)]
        windows: dict[tuple[str, str], list[dict]] = {k: [] for k in order}
        for rep in range(c.reps):
            for key in order if rep % 2 == 0 else list(reversed(order)):
                spy = None
                if rep == c.reps - 1 and key == ("daphne", ANSWERS):
                    spy = self.spy_start(self.pids["daphne"], "autosave")
                windows[key].append(self.http_window(key[0], key[1], c.window))
                if spy is not None:
                    self.spy_stop(
                        spy,
                        "autosave",
                        f"Daphne process during the last {c.window:g} s closed-loop "
                        f"autosave window ({2 * c.closed_conns} clients)",
                    )
        d_bare, d_save = windows[("daphne", BARE)], windows[("daphne", ANSWERS)]
        u_bare, u_save = windows[("uvicorn", BARE)], windows[("uvicorn", ANSWERS)]
        m = self.run.metrics
        m["autosave_throughput"] = metric(
            "autosave throughput / bare DRF view throughput (Daphne)",
            [ratio(s["throughput"], b["throughput"]) for s, b in zip(d_save, d_bare, strict=True)],
            goal="≥ 0.6",
            op=">=",
            target=0.6,
        )
        m["autosave_p99"] = metric(
            "autosave p99 / bare view p99 (Daphne)",
            [ratio(s["p99"], b["p99"]) for s, b in zip(d_save, d_bare, strict=True)],
            goal="≤ 2x",
            op="<=",
            target=2.0,
        )
        counts = [q for w in d_save + u_save for q in w["query_counts"]]
        m["autosave_queries"] = {
            "name": "SQL queries per autosave request (X-Bench-Queries)",
            "median": percentile(counts, 50),
            "min": min(counts) if counts else None,
            "max": max(counts) if counts else None,
            "goal": "≤ 4",
            "met": bool(counts) and max(counts) <= 4,
            "bare_max": max((q for w in d_bare for q in w["query_counts"]), default=None),
        }
        m["uvicorn_bare"] = metric(
            "uvicorn / Daphne throughput, bare view",
            [ratio(u["throughput"], d["throughput"]) for u, d in zip(u_bare, d_bare, strict=True)],
            goal="report if ≥ 1.3x",
            op=">=",
            target=1.3,
        )
        m["uvicorn_autosave"] = metric(
            "uvicorn / Daphne throughput, autosave",
            [ratio(u["throughput"], d["throughput"]) for u, d in zip(u_save, d_save, strict=True)],
            goal="report if ≥ 1.3x",
            op=">=",
            target=1.3,
        )
        m["uvicorn_p99_autosave"] = metric(
            "uvicorn / Daphne p99, autosave",
            [ratio(u["p99"], d["p99"]) for u, d in zip(u_save, d_save, strict=True)],
            goal="(lower is better)",
            op="<=",
            target=1.0,
        )
        self.run.details["http"] = {
            f"{k[0]} {k[1]}": [
                {x: w[x] for x in ("throughput", "p50", "p99", "ok", "requests", "queries", "errors")}
                for w in v
            ]
            for k, v in windows.items()
        }
        self.run.series["http"] = {
            "daphne bare": d_bare[-1]["series"],
            "daphne autosave": d_save[-1]["series"],
            "uvicorn bare": u_bare[-1]["series"],
            "uvicorn autosave": u_save[-1]["series"],
        }
        self.uvicorn_websockets()

    def uvicorn_websockets(self) -> None:
        """Websockets through uvicorn: attempt sockets connect, sync, answer a ping."""
        n = min(100, self.config.sockets)
        port = self.ports["uvicorn"]
        items = self.socket_items()[:n]
        start_at = time.time() + 0.3
        connected = self.fleet.one(
            0,
            "ws_connect",
            url=f"ws://127.0.0.1:{port}/ws/attempt/",
            items=items,
            origin=f"http://127.0.0.1:{port}",
            concurrency=20,
            start_at=start_at,
            echo=False,
        )
        pinged = self.fleet.one(0, "ws_ping_all", start_at=time.time() + 0.2, timeout=20)
        self.fleet.one(0, "ws_close_all")
        works = len(connected["done_at"]) == n and pinged["lost"] == 0 and len(pinged["rtts"]) == n
        self.run.metrics["uvicorn_websockets"] = {
            "name": f"uvicorn serves /ws/attempt/ ({n} sockets: sync on connect, ping/pong)",
            "met": works,
            "connected": len(connected["done_at"]),
            "pongs": len(pinged["rtts"]),
            "failures": connected["failures"][:3],
            "goal": "works",
        }

    # --- figure 2: login storm -------------------------------------------------------------

    def reset_logins(self) -> None:
        t = self.prep["tables"]
        self.sql(
            f"UPDATE {t['attempt']} SET state = 'registered', prior_state = '', client_id = '', "
            f"login_count = 0, "
            f"checked_in_at = NULL, leaves_used = 0, locked = false WHERE session_id = %s",
            [self.prep["sessions"]["login"]["id"]],
        )

    def burst(self, path: str, id_numbers: list[str], server: str = "daphne") -> dict:
        c = self.config
        headers = (
            f"Content-Type: application/json\r\nCookie: csrftoken={self.csrf}\r\nX-CSRFToken: {self.csrf}\r\n"
        )
        requests = [
            (path, headers, json.dumps({"password": data.PASSWORDS[data.LOGIN], "id_number": idn}))
            for idn in id_numbers
        ]
        start_at = time.time() + 0.5
        half = len(requests) // 2
        calls = [
            (
                "http_burst",
                {
                    "host": "127.0.0.1",
                    "port": self.ports[server],
                    "nconns": c.burst_conns,
                    "requests": part,
                    "start_at": start_at,
                },
            )
            for part in (requests[:half], requests[half:])
        ] + [None]
        results = [r for r in self.fleet.run(calls) if r is not None]
        samples = [s for r in results for s in r["samples"]]
        ok = [s for s in samples if s[2] == 200]
        end = max((s[3] for s in samples), default=0.0)
        latencies = [s[1] for s in ok]
        return {
            "path": path,
            "requests": len(requests),
            "ok": len(ok),
            "seconds": end,
            "start_at": start_at,
            "throughput": len(ok) / end if end else 0.0,
            "p50": percentile(latencies, 50),
            "p99": percentile(latencies, 99),
            "errors": [e for r in results for e in r["errors"]][:5],
            "series": [(s[0], s[1]) for s in ok],
            "queries": sorted({s[4] for s in ok}),
        }

    def login_storm(self) -> None:
        c = self.config
        ids = self.plan.ids(data.LOGIN)
        bg_identities = self.save_identities[2 * c.closed_conns :]
        reps = []
        for rep in range(c.reps):
            self.reset_logins()
            bg_start = time.time() + 0.5
            self.fleet.send(
                2,
                "http_open",
                host="127.0.0.1",
                port=self.ports["daphne"],
                path=ANSWERS,
                identities=bg_identities,
                questions=self.prep["single_choice_questions"],
                rate=c.background_rate,
                start_at=bg_start,
                duration=600,
            )
            time.sleep(4.5)
            bursts = {}
            for kind in ("bare", "login") if rep % 2 == 0 else ("login", "bare"):
                spy = None
                if rep == c.reps - 1 and kind == "login":
                    spy = self.spy_start(self.pids["daphne"], "login")
                bursts[kind] = self.burst(BARE if kind == "bare" else LOGIN, ids)
                if spy is not None:
                    self.spy_stop(
                        spy,
                        "login",
                        f"Daphne process during the last burst of {len(ids):,} logins "
                        f"({bursts[kind]['seconds']:.1f} s, autosave running alongside)",
                    )
                time.sleep(2)
            self.fleet.stops[2].set()
            background = self.fleet.receive(2)
            self.fleet.stops[2].clear()
            windows = {k: (b["start_at"], b["start_at"] + b["seconds"]) for k, b in bursts.items()}
            first_burst = min(a for a, _b in windows.values())
            during: dict[str, list[float]] = {"bare": [], "login": [], "quiet": []}
            series = []
            # Service latency (request sent -> answer): each candidate's page has its own
            # connection, so time spent waiting for one of the bench's pooled connections is not
            # what a candidate would see. Quiet: before the first burst only (after a burst the
            # server still drains its backlog).
            for due, _from_due, service, status in background["samples"]:
                if status != 200:
                    continue
                at = bg_start + due
                series.append((at, service))
                if at < first_burst:
                    during["quiet"].append(service)
                    continue
                where = next((k for k, (a, b) in windows.items() if a <= at <= b), None)
                if where:
                    during[where].append(service)
            bad = sum(1 for s in background["samples"] if s[3] != 200) + len(background["errors"])
            reps.append(
                {
                    "bursts": bursts,
                    "windows": windows,
                    "background": {
                        k: {"n": len(v), "p50": percentile(v, 50), "p99": percentile(v, 99)}
                        for k, v in during.items()
                    },
                    "background_failed": bad,
                    "background_series": series,
                    "bg_start": bg_start,
                }
            )
        m = self.run.metrics
        m["login_throughput"] = metric(
            f"login burst ({c.logins:,}) throughput / bare burst throughput",
            [ratio(r["bursts"]["login"]["throughput"], r["bursts"]["bare"]["throughput"]) for r in reps],
            goal="≥ 0.5",
            op=">=",
            target=0.5,
        )
        m["login_p99"] = metric(
            "bare burst p99 / login burst p99 (i.e. login p99 at most 2x bare)",
            [ratio(r["bursts"]["bare"]["p99"], r["bursts"]["login"]["p99"]) for r in reps],
            goal="≥ 0.5",
            op=">=",
            target=0.5,
        )
        m["login_autosave_p99"] = metric(
            "autosave p99 during the login burst / autosave p99 without a burst",
            [ratio(r["background"]["login"]["p99"], r["background"]["quiet"]["p99"]) for r in reps],
            goal="≤ 2x",
            op="<=",
            target=2.0,
        )
        m["login_autosave_p99_vs_bare_burst"] = metric(
            "autosave p99 during the login burst / autosave p99 during the bare burst",
            [ratio(r["background"]["login"]["p99"], r["background"]["bare"]["p99"]) for r in reps],
            goal="(context)",
            op="<=",
            target=2.0,
        )
        self.run.details["login"] = [
            {
                "bursts": {
                    k: {
                        x: b[x]
                        for x in (
                            "requests",
                            "ok",
                            "seconds",
                            "throughput",
                            "p50",
                            "p99",
                            "errors",
                            "queries",
                        )
                    }
                    for k, b in r["bursts"].items()
                },
                "background": r["background"],
                "background_failed": r["background_failed"],
            }
            for r in reps
        ]
        last = reps[-1]
        self.run.series["login"] = {
            "bursts": {k: {"start": b["start_at"], "series": b["series"]} for k, b in last["bursts"].items()},
            "background": last["background_series"],
            "bg_start": last["bg_start"],
        }

    # --- figures 3 and 4: sockets held by one Daphne process ---------------------------------

    def socket_items(self) -> list[dict]:
        return [
            {"cookie": f"sessionid={s['session']}", "tag": str(s["attempt"])}
            for s in self.prep["logged_in"]["collect"]
        ]

    def connect_all(self, urls: list[str], items: list[dict], *, echo: bool, origins: list[str]) -> dict:
        """Split ``items`` over load processes 0 and 1 (process i to urls[i]); all start together."""
        c = self.config
        half = len(items) // 2
        start_at = time.time() + 0.5
        calls = [
            (
                "ws_connect",
                {
                    "url": urls[i],
                    "items": part,
                    "origin": origins[i],
                    "concurrency": c.connect_concurrency,
                    "start_at": start_at,
                    "echo": echo,
                },
            )
            for i, part in enumerate((items[:half], items[half:]))
        ] + [None]
        results = [r for r in self.fleet.run(calls) if r is not None]
        done = [t for r in results for t in r["done_at"]]
        seconds = max(done) if done else float("nan")
        return {
            "connected": len(done),
            "seconds": seconds,
            "rate": len(done) / seconds if done else 0.0,
            "failures": [f for r in results for f in r["failures"]][:5],
        }

    def close_all(self) -> None:
        self.fleet.run([("ws_close_all", {}), ("ws_close_all", {}), None])

    def socket_cycle(self, kind: str, rep: int, *, second_cycle: bool = False, profile: bool = False) -> dict:
        c = self.config
        name = f"mem-{kind}-{rep}"
        port, pid = self.stack.start_daphne(name)
        path = "/ws/echo/" if kind == "echo" else "/ws/attempt/"
        url, origin = f"ws://127.0.0.1:{port}{path}", f"http://127.0.0.1:{port}"
        items = self.socket_items()
        echo = kind == "echo"
        try:
            warm = self.fleet.one(
                0,
                "ws_connect",
                url=url,
                items=items[:20],
                origin=origin,
                concurrency=20,
                start_at=time.time(),
                echo=echo,
            )
            if len(warm["done_at"]) != 20:
                raise RuntimeError(f"{kind} sockets do not connect: {warm['failures'][:3]}")
            self.fleet.one(0, "ws_close_all")
            time.sleep(1.5)
            out = {
                "rss0": rss_kib(pid),
                "redis0": tcp_connections_to(pid, self.stack.redis_port),
                "db_clients0": self.stack.redis_clients(),
            }
            c0 = cpu_seconds(pid)
            time.sleep(c.idle_seconds)
            out["cpu_idle"] = cpu_seconds(pid) - c0
            spy = self.spy_start(pid, f"connect-{kind}", seconds=120) if profile else None
            first = self.connect_all([url, url], items, echo=echo, origins=[origin, origin])
            self.spy_stop(spy, f"connect-{kind}", f"one Daphne process accepting {first['connected']:,} {kind} sockets")
            time.sleep(2)
            out.update(rss1=rss_kib(pid), connect=first)
            # Idle cost: the same window with every socket held and no client traffic, for echo
            # sockets (the baseline: Daphne's own cost of an open socket) and attempt sockets.
            spy = self.spy_start(pid, f"hold-{kind}", seconds=c.idle_seconds + 5) if profile else None
            c0 = cpu_seconds(pid)
            time.sleep(c.idle_seconds)
            out["cpu_hold"] = cpu_seconds(pid) - c0
            self.spy_stop(
                spy,
                f"hold-{kind}",
                f"one Daphne process holding {first['connected']:,} {kind} sockets, "
                f"{c.idle_seconds:g} s, no traffic from the clients",
            )
            self.close_all()
            time.sleep(2)
            out["rss2"] = rss_kib(pid)
            if second_cycle:
                second = self.connect_all([url, url], items, echo=echo, origins=[origin, origin])
                self.close_all()
                time.sleep(2)
                out.update(
                    rss3=rss_kib(pid),
                    connect2=second,
                    redis3=tcp_connections_to(pid, self.stack.redis_port),
                    db_clients3=self.stack.redis_clients(),
                )
            out["per_socket_kib"] = (out["rss1"] - out["rss0"]) / max(1, first["connected"])
            return out
        finally:
            self.stack.stop(name)

    def sockets(self) -> None:
        c = self.config
        reps = []
        for rep in range(c.reps):
            cycle = {}
            for kind in ("echo", "attempt") if rep % 2 == 0 else ("attempt", "echo"):
                cycle[kind] = self.socket_cycle(
                    kind,
                    rep,
                    second_cycle=rep == 0,
                    profile=rep == c.reps - 1,
                )
                log(
                    f"  sockets rep {rep + 1} {kind}: {cycle[kind]['connect']['connected']} connected at "
                    f"{cycle[kind]['connect']['rate']:.0f}/s, {cycle[kind]['per_socket_kib']:.1f} KiB each"
                )
            reps.append(cycle)
        m = self.run.metrics
        n = c.sockets
        m["socket_memory"] = metric(
            f"memory per attempt socket / per echo socket ({n:,} sockets, one Daphne process)",
            [ratio(r["attempt"]["per_socket_kib"], r["echo"]["per_socket_kib"]) for r in reps],
            goal="≤ 1.5x",
            op="<=",
            target=1.5,
        )
        m["socket_connect_rate"] = metric(
            "attempt socket connect rate / echo connect rate",
            [ratio(r["attempt"]["connect"]["rate"], r["echo"]["connect"]["rate"]) for r in reps],
            goal="≥ 0.6",
            op=">=",
            target=0.6,
        )
        first, first_echo = reps[0]["attempt"], reps[0]["echo"]
        m["socket_memory_after_cycles"] = metric(
            f"RSS after two connect/disconnect cycles of {n:,} attempt sockets / after the same cycles of "
            "echo sockets (one fresh Daphne process each; rep 1)",
            [ratio(first["rss3"], first_echo["rss3"])],
            goal="≤ 1.1x",
            op="<=",
            target=1.1,
        )
        m["socket_memory_growth"] = metric(
            "RSS after two attempt-socket cycles vs before the first (growth, fraction; rep 1)",
            [(first["rss3"] - first["rss0"]) / first["rss0"]],
            goal="(context: echo's growth is in the details)",
            op="<=",
            target=float("inf"),
            unit="",
        )
        m["socket_memory_second_cycle"] = metric(
            "RSS after the second cycle vs after the first (growth, fraction; rep 1)",
            [(first["rss3"] - first["rss2"]) / first["rss2"]],
            goal="(context: retained vs growing)",
            op="<=",
            target=0.10,
            unit="",
        )
        m["socket_redis_connections"] = {
            "name": "Redis connections of the Daphne process before / after two cycles (rep 1)",
            "values": [[first["redis0"], first["redis3"]]],
            "db_clients": [[first["db_clients0"], first["db_clients3"]]],
            "met": first["redis0"] == first["redis3"],
            "goal": "unchanged",
        }
        m["idle_cpu"] = metric(
            f"CPU of one Daphne holding {n:,} idle attempt sockets / the same process holding {n:,} idle "
            f"echo sockets ({c.idle_seconds:.0f} s windows)",
            [ratio(r["attempt"]["cpu_hold"], r["echo"]["cpu_hold"]) for r in reps],
            goal="≤ 1.05x",
            op="<=",
            target=1.05,
            note="absolute CPU seconds per window are in the details",
        )
        m["idle_cpu_share"] = metric(
            f"CPU of that process while holding {n:,} attempt sockets, % of one core (absolute)",
            [100 * r["attempt"]["cpu_hold"] / c.idle_seconds for r in reps],
            goal="(context)",
            op="<=",
            target=100.0,
            unit="%",
        )
        self.run.details["sockets"] = reps

    # --- figure 6: fan-out at the deadline --------------------------------------------------

    def reopen_socket_attempts(self, deadline: datetime) -> None:
        t = self.prep["tables"]
        ids = [s["attempt"] for s in self.prep["logged_in"]["collect"]]
        self.sql(
            f"UPDATE {t['attempt']} SET state = 'in_progress', prior_state = 'checked_in', receipt = '', "
            f"score = NULL, needs_marking = false, finished_at = NULL, deadline = %s WHERE id = ANY(%s)",
            [deadline, ids],
        )

    def fanout(self) -> None:
        c = self.config
        self.ports["daphne2"], self.pids["daphne2"] = self.stack.start_daphne("daphne-2")
        urls = [f"ws://127.0.0.1:{self.ports[k]}/ws/attempt/" for k in ("daphne", "daphne2")]
        origins = [f"http://127.0.0.1:{self.ports[k]}" for k in ("daphne", "daphne2")]
        ids = [s["attempt"] for s in self.prep["logged_in"]["collect"]]
        t = self.prep["tables"]
        reps = []
        for rep in range(c.reps):
            self.reopen_socket_attempts(datetime.now(UTC) + timedelta(hours=3))
            connected = self.connect_all(urls, self.socket_items(), echo=False, origins=origins)
            result = {"connected": connected["connected"], "connect_failures": connected["failures"]}
            for step in ("echo", "fanout") if rep % 2 == 0 else ("fanout", "echo"):
                if step == "echo":
                    start_at = time.time() + 0.5
                    pings = [
                        r
                        for r in self.fleet.run(
                            [
                                ("ws_ping_all", {"start_at": start_at}),
                                ("ws_ping_all", {"start_at": start_at}),
                                None,
                            ]
                        )
                        if r is not None
                    ]
                    answered = [a for p in pings for a in p["answered_at"]]
                    result["echo_last"] = max(answered) if answered else float("nan")
                    result["echo_p99_rtt"] = percentile([x for p in pings for x in p["rtts"]], 99)
                    result["echo_lost"] = sum(p["lost"] for p in pings)
                else:
                    deadline = time.time() + 2.0
                    self.sql(
                        f"UPDATE {t['attempt']} SET deadline = %s WHERE id = ANY(%s)",
                        [datetime.fromtimestamp(deadline, UTC), ids],
                    )
                    outs = [
                        r
                        for r in self.fleet.run(
                            [
                                ("ws_collected", {"deadline": deadline, "timeout": 30}),
                                ("ws_collected", {"deadline": deadline, "timeout": 30}),
                                None,
                            ]
                        )
                        if r is not None
                    ]
                    after = [a for o in outs for a in o["after_deadline"]]
                    result.update(
                        collected=len(after),
                        lost=sum(o["missing"] for o in outs),
                        last_after_deadline=max(after) if after else float("nan"),
                        first_after_deadline=min(after) if after else float("nan"),
                        p50_after_deadline=percentile(after, 50),
                        p99_after_deadline=percentile(after, 99),
                        missing_detail=[m for o in outs for m in o["other_messages"]][:3],
                    )
                    # The sweep's own clock: finished_at is the `now` it collected with.
                    with self.stack.pg() as conn:
                        swept = conn.execute(
                            f"SELECT min(finished_at), max(finished_at) FROM {t['attempt']} "
                            f"WHERE id = ANY(%s)",
                            [ids],
                        ).fetchone()
                    if swept[0] is not None:
                        result["sweep_now_after_deadline"] = swept[0].timestamp() - deadline
                    if rep == c.reps - 1:
                        self.run.series["fanout"] = {"after_deadline": after}
                    time.sleep(0.5)
            if rep == c.reps - 1:
                self.run.series.setdefault("fanout", {})["echo_answered"] = result.get("echo_last")
            self.close_all()
            reps.append(result)
            log(
                f"  fan-out rep {rep + 1}: {result.get('collected')} collected, last "
                f"{result.get('last_after_deadline', float('nan')):.2f} s after the deadline, echo "
                f"{result.get('echo_last', float('nan')):.2f} s, lost {result.get('lost')}"
            )
        m = self.run.metrics
        n = c.sockets
        m["fanout_vs_echo"] = metric(
            f"deadline -> last of {n:,} sockets 'collected' / echo round trip to the same sockets",
            [ratio(r["last_after_deadline"], r["echo_last"]) for r in reps],
            goal="≤ 1.5x",
            op="<=",
            target=1.5,
        )
        m["fanout_lateness_p99"] = metric(
            "lateness of 'collected' after the deadline, p99 (seconds)",
            [r["p99_after_deadline"] for r in reps],
            goal="≤ 1 s",
            op="<=",
            target=1.0,
            unit="s",
        )
        m["fanout_lost"] = {
            "name": "'collected' messages lost",
            "values": [r["lost"] for r in reps],
            "met": all(r["lost"] == 0 for r in reps),
            "goal": "0",
        }
        self.run.details["fanout"] = reps
        self.stack.stop("daphne-2")

    # --- profiles -------------------------------------------------------------------------

    def spy_start(self, pid: int, key: str, seconds: float = 300):
        """py-spy on ``pid`` until ``spy_stop``: low overhead (it never stops the process)."""
        if profiling.pyspy_binary() is None:
            if "py-spy is not installed" not in " ".join(self.run.notes):
                self.run.notes.append("py-spy is not installed: no server profile.")
            return None
        raw = self.workdir / f"profile-{key}.txt"
        process = profiling.start(pid, seconds, raw)
        time.sleep(0.8)  # attached before the window starts
        return process, raw

    def spy_stop(self, handle, key: str, what: str) -> None:
        if handle is None:
            return
        process, raw = handle
        profiling.stop(process)
        summary = profiling.summarize(raw)
        summary["what"] = what
        self.run.profiles[key] = summary

    # --- figure 8: capacity under the exam-day mix -----------------------------------------

    def capacity_jpeg(self) -> bytes:
        """A camera-like 640x480 JPEG of 30-60 KB (noise blurred like a real frame)."""
        import io

        from PIL import Image, ImageFilter

        gray = Image.effect_noise((640, 480), 40).convert("L").filter(ImageFilter.GaussianBlur(1.2))
        frame = Image.merge("RGB", [gray, gray.point(lambda v: v * 0.9), gray.point(lambda v: 255 - v)])
        for quality in (60, 50, 40, 70, 80):
            out = io.BytesIO()
            frame.save(out, format="JPEG", quality=quality)
            if 30_000 <= out.tell() <= 60_000:
                break
        return out.getvalue()

    def recording_path(self) -> str:
        """The recording upload when this build has it, else '': a GET without a login gets 404
        only when the route does not exist (403/405 when it does)."""
        import urllib.error
        import urllib.request

        path = "/api/v1/candidate/attempt/recording/"
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{self.ports['daphne']}{path}", timeout=5)  # noqa: S310
        except urllib.error.HTTPError as error:
            return "" if error.code == 404 else path
        except OSError:
            return ""
        return path

    def capacity_probe(self, n: int, seconds: float, jpeg: bytes, recording: str, chunk: bytes = b"") -> dict:
        """The exam-day mix for N candidates of the collect session on two Daphne processes: their
        attempt sockets held (ping every 20 s), autosaves, snapshots, focus losses (and recording
        chunks) for ``seconds``; meanwhile a slice of the 5-minute login window at its real rate
        (N / 300 logins per second, the full page flow of candidates of another session); then
        the deadline: the sweep collects the N attempts and every socket must hear ``collected``.
        Every acknowledged answer is checked in the database."""
        logged = self.prep["logged_in"]["collect"][:n]
        self.reopen_socket_attempts(datetime.now(UTC) + timedelta(hours=3))  # a previous probe collected them
        self.reset_logins()
        # As deployed (deploy/README.md): one Daphne process per core; load process i drives the
        # sockets and requests of its half of the candidates on Daphne process i.
        ports = [self.ports[k] for k in CAPACITY_SERVERS]
        urls = [f"ws://127.0.0.1:{port}/ws/attempt/" for port in ports]
        origins = [f"http://127.0.0.1:{port}" for port in ports]
        items = [{"cookie": f"sessionid={s['session']}", "tag": str(s["attempt"])} for s in logged]
        t0 = time.monotonic()
        connected = self.connect_all(urls, items, echo=False, origins=origins)
        connect_s = time.monotonic() - t0
        cands = [
            {"cookie": f"sessionid={s['session']}; csrftoken={self.csrf}", "csrf": self.csrf, "tag": str(s["attempt"])}
            for s in logged
        ]
        half = len(cands) // 2
        start_at = time.time() + 1.0
        common = {
            "host": "127.0.0.1", "questions": self.prep["collect_questions"],
            "jpeg_hex": jpeg.hex(), "start_at": start_at, "duration": seconds, "recording_path": recording,
            "recording_hex": chunk.hex() if recording else "",
        }
        login_rate = n / LOGIN_WINDOW_SECONDS
        login_ids = self.plan.ids(data.LOGIN)[: max(1, round(login_rate * min(seconds, LOGIN_SLICE_SECONDS)))]
        logins = {
            "host": "127.0.0.1", "ports": ports, "id_numbers": login_ids,
            "password": data.PASSWORDS[data.LOGIN], "csrf": self.csrf, "jpeg_hex": jpeg.hex(),
            "start_at": start_at, "rate": login_rate,
        }
        spy_key = f"{'capacity_recording' if recording else 'capacity'}-{n}"
        spy = self.spy_start(self.pids["daphne"], spy_key, seconds=seconds + 30)
        cpu0, t_cpu = self.cpu_by_group(), time.monotonic()
        results = self.fleet.run(
            [("exam_mix", {**common, "port": ports[0], "candidates": cands[:half]}),
             ("exam_mix", {**common, "port": ports[1], "candidates": cands[half:]}),
             ("login_slice", logins)]
        )
        cpu1, t_cpu = self.cpu_by_group(), time.monotonic() - t_cpu
        self.spy_stop(spy, spy_key, f"one of the two Daphne processes during the exam-day mix of {n:,} "
                      f"candidates{' with recording' if recording else ''}")
        login = results[2]
        results = [r for r in results[:2] if r is not None]
        # The deadline: the N attempts are due 2 s from now; the beat's sweep collects them.
        deadline = time.time() + 2.0
        ids = [s["attempt"] for s in logged]
        self.sql(
            f"UPDATE {self.prep['tables']['attempt']} SET deadline = %s WHERE id = ANY(%s)",
            [datetime.fromtimestamp(deadline, UTC), ids],
        )
        outs = [r for r in self.fleet.run(
            [("ws_collected", {"deadline": deadline, "timeout": 30}),
             ("ws_collected", {"deadline": deadline, "timeout": 30}), None]
        ) if r is not None]
        after = [a for o in outs for a in o["after_deadline"]]
        self.close_all()
        acked: dict[str, dict] = {}
        for r in results:
            acked.update(r["acked"])
        lost = 0
        with self.stack.pg() as conn:
            rows = conn.execute(
                "SELECT attempt_id, question_id, value FROM exams_answer WHERE attempt_id = ANY(%s)",
                [[int(a) for a in acked]],
            ).fetchall()
        held = {(str(a), str(q)): v for a, q, v in rows}
        for attempt, answers in acked.items():
            lost += sum(1 for q, v in answers.items() if held.get((attempt, q)) != v)
        out: dict = {"n": n, "connected": connected["connected"], "connect_s": round(connect_s, 1), "lost": lost}
        for kind in ("save", "snapshot", "event", "recording"):
            lat = [x[1] for r in results for x in r["samples"][kind]]
            bad = sum(1 for r in results for x in r["samples"][kind] if x[2] >= 400)
            out[kind] = {"count": len(lat), "p50": percentile(lat, 50), "p99": percentile(lat, 99), "errors": bad}
        for kind in ("entry", "login", "attempt", "photo"):
            lat = [x[1] for x in login["samples"][kind]]
            out[f"login_{kind}"] = {"count": len(lat), "p50": percentile(lat, 50), "p99": percentile(lat, 99)}
        out["logins"] = {"asked": len(login_ids), "rate": round(login_rate, 2), "busy_503": login["busy"],
                         "errors": login["error_count"]}
        out["collected"] = {
            "count": len(after), "lost": sum(o["missing"] for o in outs),
            "p50": percentile(after, 50), "p99": percentile(after, 99), "last": max(after) if after else None,
        }
        out["errors"] = ([e for r in results for e in r["errors"]] + login["errors"])[:10]
        out["error_count"] = (
            sum(len(r["errors"]) for r in results) + login["error_count"] + (n - connected["connected"])
        )
        out["sockets_lost"] = sum(r["sockets_lost"] for r in results)
        # Where the machine's CPU went during the mix, in cores (of os.cpu_count()).
        out["cpu_cores"] = {k: round((cpu1.get(k, 0.0) - v) / t_cpu, 2) for k, v in cpu0.items()}
        login_p99 = out["login_login"]["p99"]
        out["holds"] = bool(
            out["connected"] == n and out["error_count"] == 0 and lost == 0
            and (out["save"]["p99"] or 0) < 0.3 and (out["snapshot"]["p99"] or 0) < 1.0
            and login_p99 is not None and login_p99 < 3.0 and out["login_login"]["count"] == len(login_ids)
            and out["collected"]["lost"] == 0 and out["collected"]["count"] == n
            and (out["collected"]["p99"] or 0) <= 1.0
        )
        log(f"capacity N={n}: holds={out['holds']} save p99={_s(out['save']['p99'])} snapshot p99="
            f"{_s(out['snapshot']['p99'])} login p99={_s(login_p99)} ({len(login_ids)} logins, "
            f"{login['busy']} busy) collected p99={_s(out['collected']['p99'])} "
            f"({out['collected']['count']}/{n}) errors={out['error_count']} lost={lost}")
        if out["errors"]:
            log(f"  first errors: {out['errors'][:3]}")
        return out

    def cpu_by_group(self) -> dict[str, float]:
        """CPU seconds used so far by each part of the stack on this machine (from /proc)."""
        groups: dict[str, float] = {}
        fleet = set(self.fleet.pids) if self.fleet is not None else set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            try:
                comm = (entry / "comm").read_text().strip()
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                seconds = cpu_seconds(pid)
            except OSError:
                continue
            if pid in {self.pids.get(k) for k in CAPACITY_SERVERS}:
                group = "daphne"
            elif pid in fleet:
                group = "load generator"
            elif "celery" in cmdline:
                group = "celery"
            elif comm.startswith("redis-server"):
                group = "redis"
            elif comm.startswith("postgres"):
                group = "postgresql"
            else:
                group = "other"
            groups[group] = groups.get(group, 0.0) + seconds
        return groups

    def capacity(self) -> None:
        self.capacity_bisect(recording=os.environ.get("BENCH_RECORDING", "0") == "1")

    def capacity_with_recording(self) -> None:
        """The same bisection with full-exam recording on: a ~220 KB chunk every 10 s per candidate."""
        self.capacity_bisect(recording=True)

    def recording_cost(self) -> None:
        """What full-exam recording costs (bench/recording.py): bytes per candidate-hour from the
        default bitrates and from 3 chunks Chromium really recorded, and the upload requests/s
        for the candidates the capacity phase held and for 1,000 and 10,000."""
        from bench import recording

        fmt = recording.DEFAULT_FORMAT
        costs = [recording.configured_cost(fmt)]
        try:
            sizes, seconds = recording.record_chunks(fmt, 3)
            costs.append(recording.measured_cost(sizes, seconds))
        except Exception as error:  # noqa: BLE001 - the configured figure still stands
            self.run.notes.append(f"recording: no chunk recorded in Chromium ({error!r})")
        phases = ("capacity", "capacity_recording")
        held = [int((self.run.details.get(k) or {}).get("largest_held") or 0) for k in phases]
        candidates = sorted({n for n in (*held, 1000, 10_000) if n > 0})
        self.run.details["recording_cost"] = recording.report(fmt, costs, candidates)
        self.run.metrics["recording_bytes_per_hour"] = metric(
            "recording: MB per candidate per hour (configured bitrates, one stream)",
            [costs[0].bytes_per_candidate_hour / 1e6], goal="(context)", op="<=", target=float("inf"), unit=" MB",
        )

    def capacity_bisect(self, *, recording: bool) -> None:
        """Bisection on N: the largest number of candidates for which the mix holds (autosave
        p99 < 300 ms, snapshot p99 < 1 s, login p99 < 3 s, `collected` p99 ≤ 1 s, zero errors,
        zero answers lost) on two Daphne processes."""
        quick = QUICK
        seconds = float(os.environ.get("BENCH_CAPACITY_SECONDS") or (20 if quick else 60))
        steps = int(os.environ.get("BENCH_CAPACITY_STEPS") or (3 if quick else 5))
        jpeg = self.capacity_jpeg()
        path = self.recording_path() if recording else ""
        if recording and not path:
            raise RuntimeError("recording asked for, but this build has no recording upload")
        chunk = recording_chunk() if path else b""
        if "daphne-cap" not in self.ports:
            self.ports["daphne-cap"], self.pids["daphne-cap"] = self.stack.start_daphne("daphne-cap")
        lo, hi = 0, len(self.prep["logged_in"]["collect"])
        n = max(10, hi // 4)
        probes = []
        fixed = [int(x) for x in os.environ.get("BENCH_CAPACITY_N", "").split(",") if x.strip()]
        for n in fixed:  # development: probes at these N only, no bisection
            probes.append(self.capacity_probe(min(n, hi), seconds, jpeg, path, chunk))
            lo = max([lo] + [p["n"] for p in probes if p["holds"]])
        for _ in range(0 if fixed else steps):
            probe = self.capacity_probe(n, seconds, jpeg, path, chunk)
            probes.append(probe)
            if probe["holds"]:
                lo = n
            else:
                hi = n
            if hi - lo <= max(10, hi // 20):
                break
            n = (lo + hi) // 2 if hi > lo else lo
            if n == lo and hi == len(self.prep["logged_in"]["collect"]):
                n = min(hi, lo * 2)
        cores = os.cpu_count() or 1
        key = "capacity_recording" if path else "capacity"
        self.run.details[key] = {
            "probes": probes, "seconds": seconds, "jpeg_bytes": len(jpeg),
            "recording": f"{path}, a {len(chunk) // 1000} KB chunk every 10 s" if path else "off",
            "cores": cores, "largest_held": lo, "processes": "two Daphne processes (one per core, as deployed), "
            "PostgreSQL, Redis, a Celery worker with beat and the load generator, all on the same machine",
        }
        what = " with full-exam recording" if path else ""
        self.run.metrics[f"{key}_per_core"] = metric(
            f"candidates per core under the exam-day mix{what} (largest N held / {cores} cores; two Daphne processes)",
            [lo / cores], goal="≥ 1000", op=">=", target=1000.0, unit="",
            note="sockets, autosave, snapshots, pings, focus losses, logins at the window's rate, the deadline",
        )
        self.run.series[key] = probes

    # --- all --------------------------------------------------------------------------------

    def execute(self) -> int:
        raise_nofile()
        log(f"workdir {self.workdir}; database {self.stack.db_name}; scale {self.config.scale}")
        try:
            self.phase("setup", self.setup, required=True)
            only = [p for p in os.environ.get("BENCH_PHASES", "").replace(",", " ").split() if p]
            if QUICK or only:  # make bench-quick (the capacity probe) or BENCH_PHASES, for development
                if "collection" in only:
                    self.phase("collection", self.collection)
                self.phase("servers", self.start_servers, required=True)
                for name in only or ["capacity"]:
                    if name != "collection":
                        self.phase(name, getattr(self, PHASE_METHODS.get(name, name)))
                return 1 if self.run.errors else 0
            self.phase("collection", self.collection)
            self.phase("servers", self.start_servers, required=True)
            self.phase("conn_probe", self.conn_probe)
            self.phase("http", self.http)
            self.phase("login", self.login_storm)
            self.phase("sockets", self.sockets)
            self.phase("fanout", self.fanout)
            self.phase("capacity", self.capacity)
            self.phase("capacity_recording", self.capacity_with_recording)
            self.phase("recording_cost", self.recording_cost)
        except Exception:  # noqa: S110 - recorded by phase(); results are still written
            pass
        finally:
            self.finish()
        return 1 if self.run.errors else 0

    def finish(self) -> None:
        self.run.machine["loadavg_end"] = os.getloadavg()
        if self.fleet is not None:
            self.fleet.close()
        for name in ("celery", "daphne-1", "uvicorn-1"):
            text = self.stack.log(name)
            if "Traceback" in text:
                self.run.notes.append(f"{name} logged a traceback: " + text[text.index("Traceback") :][:1500])
        self.stack.close()
        self.run.phases["total"] = round(time.time() - self.run.started, 1)
        OUT.mkdir(parents=True, exist_ok=True)
        report.write(self.run, OUT)
        log(f"wrote {OUT / 'results.md'}, results.json, latency.png in {self.run.phases['total']} s")
        if self.run.errors:
            log(f"errors: see results.md; server logs kept in {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


def recording_chunk() -> bytes:
    """A recording chunk the server accepts, of the size the page's recorder makes at the
    settings' defaults (150 kbit/s video + 24 kbit/s Opus for 10 s, ~220 KB): a real WebM
    file recorded by Chromium (the tests' fixture) padded inside its last cluster."""
    from bench.recording import DEFAULT_FORMAT, configured_cost
    from proctoring.webm import webm_inspect

    fixture = Path(__file__).resolve().parent.parent / "tests" / "proctoring" / "fixtures" / "chunk.webm"
    real = fixture.read_bytes()
    size = int(configured_cost(DEFAULT_FORMAT).chunk_bytes)
    chunk = real + b"\0" * max(0, size - len(real))
    webm_inspect(chunk)  # the server's own check: refused chunks would only measure a 400
    return chunk


def machine_info() -> dict:
    mem_kib = 0
    model = platform.processor()
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "cpu": model,
        "kernel": platform.release(),
        "loadavg_start": os.getloadavg(),
    }


def versions(stack: Stack) -> dict:
    found = {"Python": platform.python_version()}
    for dist in (
        "Django",
        "djangorestframework",
        "channels",
        "daphne",
        "channels-redis",
        "Twisted",
        "celery",
        "psycopg",
        "uvicorn",
        "uvloop",
        "httptools",
        "websockets",
        "redis",
    ):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = "not installed"
    with stack.pg() as conn:
        found["PostgreSQL"] = conn.execute("SHOW server_version").fetchone()[0]
    found["Redis"] = stack.redis().info("server")["redis_version"]
    return found


def main() -> None:
    bench = Bench(Config.from_env())
    sys.exit(bench.execute())


def _asdict(run: Run) -> dict:
    return asdict(run)


if __name__ == "__main__":
    main()
