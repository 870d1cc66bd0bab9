"""bench/results.md, bench/results.json and bench/latency.png from one run."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from bench.stats import fmt, percentile

FIGURES = [
    ("1", "Autosave vs bare DRF view", ["autosave_throughput", "autosave_p99", "autosave_queries"]),
    (
        "2",
        "Login storm",
        ["login_throughput", "login_p99", "login_autosave_p99", "login_autosave_p99_vs_bare_burst"],
    ),
    (
        "3",
        "Sockets held per Daphne process",
        [
            "socket_memory",
            "socket_connect_rate",
            "socket_memory_after_cycles",
            "socket_memory_growth",
            "socket_memory_second_cycle",
            "socket_redis_connections",
        ],
    ),
    ("4", "Idle cost of held sockets", ["idle_cpu", "idle_cpu_share"]),
    ("5", "Forced collection", ["collect_vs_raw", "collect_vs_floor", "collect_queries"]),
    ("6", "Fan-out at the deadline", ["fanout_vs_echo", "fanout_lateness_p99", "fanout_lost"]),
    (
        "7",
        "Daphne vs uvicorn",
        ["uvicorn_bare", "uvicorn_autosave", "uvicorn_p99_autosave", "uvicorn_websockets"],
    ),
    ("+", "Finding: database connections under ASGI", ["conn_probe"]),
    ("8", "Capacity under the exam-day mix", ["capacity_per_core", "capacity_recording_per_core"]),
    ("9", "Full-exam recording's cost", ["recording_bytes_per_hour"]),
]
# Written by hand after looking at a run; included verbatim at the end of results.md.
READING = Path(__file__).with_name("reading.md")


def _met(value, goal: str = "") -> str:
    if goal.startswith("("):
        return "–"  # context, no goal
    return {True: "yes", False: "**no**", None: "n/a"}[value]


def _ms(seconds: float) -> str:
    return (
        "n/a"
        if seconds is None or (isinstance(seconds, float) and math.isnan(seconds))
        else f"{seconds * 1000:.1f}"
    )


def _row(key: str, m: dict) -> str:
    ok = _met(m.get("met"), m.get("goal", ""))
    if "median" in m and "values" in m and not isinstance((m.get("values") or [None])[0], list):
        unit = m.get("unit", "x")
        values = ", ".join(fmt(v) for v in m["values"])
        return (
            f"| {m['name']} | {fmt(m['median'])}{unit} | {fmt(m['min'])}–{fmt(m['max'])}{unit} "
            f"({values}) | {m['goal']} | {ok} |"
        )
    if key == "autosave_queries":
        return (
            f"| {m['name']} | {fmt(m['median'])} | {fmt(m['min'])}–{fmt(m['max'])} (bare view: "
            f"{fmt(m['bare_max'])}) | {m['goal']} | {ok} |"
        )
    if key == "collect_queries":
        return (
            f"| {m['name']} | {m['at_100']} at 100, {', '.join(map(str, m['at_n']))} at {m['n']:,} | – "
            f"| {m['goal']} | {ok} |"
        )
    if key == "socket_redis_connections":
        pairs = "; ".join(f"{a} → {b}" for a, b in m["values"])
        db = "; ".join(f"{a} → {b}" for a, b in m["db_clients"])
        return f"| {m['name']} | {pairs} | whole bench db: {db} | {m['goal']} | {ok} |"
    if key == "fanout_lost":
        return f"| {m['name']} | {', '.join(map(str, m['values']))} | – | {m['goal']} | {ok} |"
    if key == "conn_probe":
        peaks = "; ".join(f"{k}: {v}" for k, v in m["variants"].items())
        return f"| {m['name']} | {peaks} | – | {m['goal']} | {ok} |"
    if key == "uvicorn_websockets":
        return f"| {m['name']} | {m['connected']} connected, {m['pongs']} pongs | – | {m['goal']} | {ok} |"
    return f"| {m.get('name', key)} | {json.dumps(m)[:200]} | | | |"


def _missed(run) -> list[str]:
    lines = []
    for m in run.metrics.values():
        if (
            m.get("met") is False
            and "median" in m
            and m.get("op")
            and "report" not in m.get("goal", "")
            and "context" not in m.get("goal", "")
            and "lower" not in m.get("goal", "")
        ):
            median, target = m["median"], m["target"]
            if median is None or math.isinf(median):
                how = f"the median is unbounded (a baseline of zero) against {m['goal']}"
            elif m["op"] == "<=":
                how = (
                    f"{fmt(median)}{m.get('unit', 'x')} against at most {fmt(target)}: "
                    f"{fmt(median / target)}x over"
                )
            else:
                how = (
                    f"{fmt(median)}{m.get('unit', 'x')} against at least {fmt(target)}: "
                    f"{fmt(median / target)} of it"
                )
            lines.append(f"- **{m['name']}**: {how}.")
        elif m.get("met") is False and "median" not in m:
            lines.append(f"- **{m['name']}**: goal {m['goal']} not met (see the table).")
    return lines


def markdown(run) -> str:
    c = run.config
    started = datetime.fromtimestamp(run.started, UTC).strftime("%Y-%m-%d %H:%M UTC")
    mach, ver = run.machine, run.versions
    out = [
        "# Exam-day benchmarks: results",
        "",
        f"Run of {started}, `make bench` (BENCH_SCALE={c.scale:g}), "
        f"{fmt(run.phases.get('total', 0))} s in all. "
        "Every figure is a ratio against a bare baseline measured in the same run on the same server, "
        f"alternating A and B {c.reps} times; the median and the range over those {c.reps} repetitions are "
        "shown (values in order in brackets). Absolute numbers on a shared 2-core machine are noise; ratios "
        "are what to compare.",
        "",
        f"- **Machine**: {mach.get('cores')} cores ({mach.get('cpu')}), {mach.get('memory_gib')} GiB memory, "
        f"Linux {mach.get('kernel')}; load average at start {_load(mach.get('loadavg_start'))}, at end "
        f"{_load(mach.get('loadavg_end'))} (other work shared the machine).",
        "- **Versions**: " + ", ".join(f"{k} {v}" for k, v in ver.items()) + ".",
        f"- **Counts**: {c.logins:,} logins per burst, {c.sockets:,} sockets, "
        f"{c.collect:,} attempts collected "
        f"(20 questions, every one answered), HTTP windows of {c.window:g} s with {2 * c.closed_conns} "
        f"keep-alive connections, bursts over {2 * c.burst_conns} connections, background autosave at "
        f"{c.background_rate:g}/s during the storms, CPU windows of {c.idle_seconds:g} s.",
        "- **Stack**: a fresh PostgreSQL database `bench_<random>` on the server of DATABASE_URL (dropped "
        f"after); Redis: {c.redis}; Daphne processes (`-v 0`, backlog 2048); a Celery worker with beat "
        "(sweep every 1 s); uvicorn[standard] for figure 7. Production settings (`examsite.settings`: "
        "DEBUG=0, "
        "a generated SECRET_KEY, ALLOWED_HOSTS=127.0.0.1,localhost, SECURE_SSL_REDIRECT=0 and "
        "SECURE_HSTS_SECONDS=0 since the bench speaks plain HTTP, login throttles at 1,000,000/m because one "
        "address sends every login, BENCH_BASELINE=1 for the bare view, the echo socket and the query "
        "counter), "
        + (
            "with the settings' psycopg connection pool (CONN_MAX_AGE=0, at most 12 connections a process; "
            "persistent connections pile up under ASGI, see the finding below). "
            "BENCH_DB_POOL=0 measures CONN_MAX_AGE=0 without a pool instead. "
            if c.db_pool
            else "with CONN_MAX_AGE=0 (no pool; BENCH_DB_POOL=0). "
        )
        + "Load comes from separate processes (asyncio, a minimal HTTP/1.1 client and `websockets`).",
        "- **Phases (s)**: " + ", ".join(f"{k} {v}" for k, v in run.phases.items()) + ".",
        "",
        "## Summary",
        "",
        "| figure | measure | median | range (reps) | goal | met |",
        "|---|---|---|---|---|---|",
    ]
    for number, title, keys in FIGURES:
        for key in keys:
            if key in run.metrics:
                row = _row(key, run.metrics[key])
                out.append(
                    row.replace("| ", f"| {number}. {title} | ", 1)
                    if key == keys[0]
                    else row.replace("| ", f"| {number} | ", 1)
                )
            elif key == keys[0]:
                out.append(f"| {number}. {title} | not measured in this run (see errors and the reading) | | | | |")
    out += ["", "![latency over time during the storms](latency.png)", ""]
    out += _capacity(run)
    if run.details.get("recording_cost"):
        out += ["### 9: full-exam recording's cost (bench/recording.py)", "", run.details["recording_cost"], ""]
    out += _details(run)
    missed = _missed(run)
    out += ["## Goals missed", ""] + (missed or ["None."]) + [""]
    out += _profiles(run)
    if run.notes:
        out += ["## Notes", ""] + [f"- {n}" for n in run.notes] + [""]
    if run.errors:
        out += ["## Errors", ""]
        for e in run.errors:
            out += [f"Phase `{e['phase']}`:", "", "```", e["error"].strip()[-2500:], "```", ""]
    if READING.exists():
        out += [READING.read_text().strip(), ""]
    return "\n".join(out)


def _capacity(run) -> list[str]:
    return _capacity_of(run, "capacity", "") + _capacity_of(run, "capacity_recording", " with full-exam recording")


def _capacity_of(run, key: str, what: str) -> list[str]:
    cap = run.details.get(key)
    if not cap:
        return []
    out = [
        f"### 8: capacity under the exam-day mix{what}",
        "",
        "Each probe: N logged-in candidates, half on each of two Daphne processes, hold an attempt socket "
        f"(ping every 20 s) and for {fmt(cap['seconds'])} s autosave 1-3 entries on average every 20 s "
        f"(Poisson), send a {cap['jpeg_bytes'] // 1000} KB 640x480 camera snapshot every 30 s and a focus loss "
        "now and then "
        f"(recording upload: {cap['recording']}). Meanwhile other candidates log in at the rate of the real "
        "5-minute login window for N (N / 300 per second; the first minute of the probe), each as the pages "
        "do it in a fresh browser: session password, ID number (a `503 login_busy` is retried after "
        "Retry-After plus jitter, as the page does; the wait counts), attempt read, login photo. Then the "
        "deadline: the N attempts fall due 2 s later, the beat's sweep collects them, and every socket must "
        "hear `collected`; every acknowledged answer is checked in the database. It holds when autosave p99 "
        "< 300 ms, snapshot p99 < 1 s, login p99 < 3 s, `collected` p99 ≤ 1 s after the deadline and all "
        "delivered, no error and no answer lost. "
        f"Largest N held: **{cap['largest_held']:,}** on {cap['cores']} cores ({cap['processes']}).",
        "",
        "| N | held | autosave p50 / p99 ms (n) | snapshot p50 / p99 ms (n) | login p50 / p99 ms (n, 503s) | "
        "`collected` after the deadline p50 / p99 ms (n) | errors | answers lost | connect s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for p in cap["probes"]:
        lg, col = p.get("login_login") or {}, p.get("collected") or {}
        out.append(
            f"| {p['n']:,} | {'yes' if p['holds'] else 'no'} | {_ms(p['save']['p50'])} / {_ms(p['save']['p99'])} "
            f"({p['save']['count']}) | {_ms(p['snapshot']['p50'])} / {_ms(p['snapshot']['p99'])} "
            f"({p['snapshot']['count']}) | {_ms(lg.get('p50'))} / {_ms(lg.get('p99'))} ({lg.get('count', 0)}, "
            f"{(p.get('logins') or {}).get('busy_503', 0)}) | {_ms(col.get('p50'))} / {_ms(col.get('p99'))} "
            f"({col.get('count', 0)}) | {p['error_count']} | {p['lost']} | {p['connect_s']} |"
        )
        if p.get("errors"):
            out.append(f"| | errors: {'; '.join(str(e)[:120] for e in p['errors'][:2])} | | | | | | | |")
        if p.get("cpu_cores"):
            cpu = ", ".join(f"{k} {v:.2f}" for k, v in sorted(p["cpu_cores"].items(), key=lambda kv: -kv[1]) if v)
            out.append(f"| | CPU in cores during the mix: {cpu} | | | | | | | |")
    if key == "capacity":
        out += ["", "![latency against N](capacity.png)", ""]
    return out


def plot_capacity(run, path: Path) -> None:
    probes = sorted((run.details.get("capacity") or {}).get("probes", []), key=lambda p: p["n"])
    if not probes:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5))
    for kind, label, goal, color in (
        ("save", "autosave", 0.3, "tab:blue"), ("snapshot", "snapshot", 1.0, "tab:orange"),
        ("login_login", "login", 3.0, "tab:green"), ("collected", "collected after deadline", 1.0, "tab:red"),
    ):
        shown = [p for p in probes if (p.get(kind) or {}).get("p99") is not None]
        if not shown:
            continue
        xs = [p["n"] for p in shown]
        ax.plot(xs, [p[kind]["p99"] * 1000 for p in shown], marker="o", color=color, label=f"{label} p99")
        ax.plot(xs, [(p[kind]["p50"] or 0) * 1000 for p in shown], marker=".", linestyle="--", color=color,
                label=f"{label} p50")
        ax.axhline(goal * 1000, color=color, linestyle=":", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("simulated candidates N (two Daphne processes)")
    ax.set_ylabel("latency (ms)")
    ax.set_title("Exam-day mix: latency against N (dotted: the hold limits)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _load(values) -> str:
    return "/".join(f"{v:.2f}" for v in values) if values else "n/a"


def _details(run) -> list[str]:
    d = run.details
    out = ["## Details", ""]
    if "http" in d:
        out += [
            "### 1 and 7: closed-loop HTTP windows",
            "",
            "| server, path | throughput (req/s) per rep | p50 ms | p99 ms | queries seen | errors |",
            "|---|---|---|---|---|---|",
        ]
        for key, windows in d["http"].items():
            errors = sum(w["requests"] - w["ok"] for w in windows)
            out.append(
                f"| {key} | {', '.join(fmt(w['throughput']) for w in windows)} | "
                f"{', '.join(_ms(w['p50']) for w in windows)} | "
                f"{', '.join(_ms(w['p99']) for w in windows)} | "
                f"{sorted({q for w in windows for q in w['queries']})} | {errors} |"
            )
        out.append("")
    if "login" in d:
        out += [
            "### 2: login storm",
            "",
            "| rep | bare: req/s, p99 ms | login: req/s, p99 ms, ok | autosave p99 ms: quiet / bare burst / "
            "login burst (n) | background failures |",
            "|---|---|---|---|---|",
        ]
        for i, r in enumerate(d["login"], 1):
            b, lg, bg = r["bursts"]["bare"], r["bursts"]["login"], r["background"]
            out.append(
                f"| {i} | {fmt(b['throughput'])}, {_ms(b['p99'])} | "
                f"{fmt(lg['throughput'])}, {_ms(lg['p99'])}, "
                f"{lg['ok']}/{lg['requests']} | {_ms(bg['quiet']['p99'])} / {_ms(bg['bare']['p99'])} / "
                f"{_ms(bg['login']['p99'])} ({bg['quiet']['n']}/{bg['bare']['n']}/{bg['login']['n']}) | "
                f"{r['background_failed']} |"
            )
            errors = lg["errors"] or b["errors"]
            if errors:
                out.append(f"| | errors: {'; '.join(e[:120] for e in errors[:2])} | | | |")
        queries = sorted({q for r in d["login"] for q in r["bursts"]["login"].get("queries", [])})
        out += ["", f"SQL queries per login request (X-Bench-Queries): {queries}.", ""]
    if "sockets" in d:
        out += [
            "### 3 and 4: one fresh Daphne process per cycle",
            "",
            "| rep | echo: connected, rate/s, KiB/socket | attempt: connected, rate/s, KiB/socket | RSS MiB "
            "echo / attempt: before, held, after 1st, after 2nd cycle | CPU s echo / attempt: idle, holding | "
            "Redis conns (attempt process) |",
            "|---|---|---|---|---|---|",
        ]

        def rss_text(x: dict) -> str:
            return ", ".join("–" if v is None else f"{v / 1024:.0f}" for v in
                             (x["rss0"], x["rss1"], x["rss2"], x.get("rss3")))

        def cpu_text(x: dict) -> str:
            return ", ".join("–" if x.get(k) is None else f"{x[k]:.2f}" for k in ("cpu_idle", "cpu_hold"))

        for i, r in enumerate(d["sockets"], 1):
            e, a = r["echo"], r["attempt"]
            out.append(
                f"| {i} | {e['connect']['connected']:,}, {fmt(e['connect']['rate'])}, "
                f"{fmt(e['per_socket_kib'])} | "
                f"{a['connect']['connected']:,}, {fmt(a['connect']['rate'])}, {fmt(a['per_socket_kib'])} | "
                f"{rss_text(e)} / {rss_text(a)} | {cpu_text(e)} / {cpu_text(a)} | "
                f"{a['redis0']} → {a.get('redis3', '–')} |"
            )
            failures = e["connect"]["failures"] + a["connect"]["failures"]
            if failures:
                out.append(f"| | failures: {'; '.join(f[:100] for f in failures[:2])} | | | | |")
        out.append("")
    if "collection" in d:
        c = d["collection"]
        out += [
            "### 5: forced collection (child process, no server)",
            "",
            "| rep | session_collect s (of which SQL) | raw UPDATE s | floor s (lock, move, audit) | rows |",
            "|---|---|---|---|---|",
        ]
        for i, r in enumerate(c["reps"], 1):
            floor = "–" if r.get("floor_s") is None else f"{r['floor_s']:.3f}"
            out.append(
                f"| {i} | {r['collect_s']:.3f} ({r['sql_s']:.3f}) | {r['raw_s']:.3f} | {floor} | "
                f"{r['collected']:,} / {r['raw_rows']:,} |"
            )
        a = c["at_100"]
        out += ["", f"At 100 attempts: {a['seconds'] * 1000:.1f} ms, {a['queries']} queries.", ""]
        per_rep = [r.get("statements") or [] for r in c["reps"]]
        statements = per_rep[0] if per_rep and per_rep[0] else run.metrics.get("collect_queries", {}).get(
            "statements", [])
        if statements:
            out += ["Statements of one collection, ms in each rep:", ""]
            out += [
                f"{i}. `{s}` — " + ", ".join(str(rep[i - 1][1]) for rep in per_rep if len(rep) >= i)
                for i, (s, _ms) in enumerate(statements, 1)
            ]
            out.append("")
    if "fanout" in d:
        out += [
            "### 6: deadline fan-out over two Daphne processes",
            "",
            "| rep | connected | echo: last pong s, p99 rtt ms, lost | collected | sweep's `now` after the "
            "deadline (s) | first / p50 / p99 / last 'collected' after the deadline (s) | lost |",
            "|---|---|---|---|---|---|---|",
        ]
        for i, r in enumerate(d["fanout"], 1):
            out.append(
                f"| {i} | {r['connected']:,} | {fmt(r.get('echo_last'))}, {_ms(r.get('echo_p99_rtt'))}, "
                f"{r.get('echo_lost')} | {r.get('collected', 0):,} | "
                f"{fmt(r.get('sweep_now_after_deadline'))} | "
                f"{fmt(r.get('first_after_deadline'))} / "
                f"{fmt(r.get('p50_after_deadline'))} / {fmt(r.get('p99_after_deadline'))} / "
                f"{fmt(r.get('last_after_deadline'))} | {r.get('lost')} |"
            )
        out.append("")
    if "load_batch_seconds" in d:
        out += [f"Setup: `load_batch` of both batch files took {d['load_batch_seconds']} s.", ""]
    return out


def _profiles(run) -> list[str]:
    out = ["## Where the time goes", ""]
    # The capacity phase: the probe at the largest N that held (else the last probe).
    held = (run.details.get("capacity") or {}).get("largest_held")
    capacity = [f"capacity-{held}"] if f"capacity-{held}" in run.profiles else [
        k for k in run.profiles if k.startswith("capacity-")][-1:]
    for key in ("login", "autosave", "connect-attempt", "connect-echo", "hold-attempt", "hold-echo", *capacity):
        p = run.profiles.get(key)
        if not p or not p.get("samples"):
            continue
        out += [f"### py-spy: {p.get('what', key)} — {p['samples']:,} samples", ""]
        out.append(
            "Leaf (self) time by layer: " + "; ".join(f"{k} {v}%" for k, v in p["by_category"][:9]) + "."
        )
        out += ["", "Inclusive time of our code and the layers it calls:", ""]
        out += [f"- {k}: {v}%" for k, v in p["inclusive"][:12]]
        out += ["", "Hottest leaf functions: " + "; ".join(f"`{k}` {v}%" for k, v in p["self"][:8]) + ".", ""]
    text = run.profiles.get("collect")
    if text:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        out += ["### pyinstrument: one session_collect of every open attempt (child process)", "", "```"]
        out += lines[:45]
        out += ["```", ""]
    return out


def plot(run, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 1, figsize=(11, 13))
    ax = axes[0]
    login = run.series.get("login")
    if login:
        bg_start = login["bg_start"]
        colors = {"bare": "tab:green", "login": "tab:red"}
        for kind, b in login["bursts"].items():
            xs = [b["start"] - bg_start + t for t, _ in b["series"]]
            ax.scatter(
                xs,
                [lat * 1000 for _, lat in b["series"]],
                s=2,
                alpha=0.35,
                color=colors[kind],
                label=f"{kind} burst request",
            )
        xs = [at - bg_start for at, _ in login["background"]]
        ax.plot(
            xs,
            [lat * 1000 for _, lat in login["background"]],
            color="tab:blue",
            linewidth=0.8,
            label="background autosave (open loop)",
        )
        ax.set_yscale("log")
        ax.set_xlabel("seconds since the background autosave started")
        ax.set_ylabel("latency (ms)")
        ax.set_title("Login storm (last rep): latency over time")
        ax.legend(loc="upper right", markerscale=4, fontsize=8)
    ax = axes[1]
    http = run.series.get("http")
    if http:
        for label, series in http.items():
            buckets: dict[int, list[float]] = {}
            for t, lat in series:
                buckets.setdefault(int(t / 0.25), []).append(lat)
            xs = sorted(buckets)
            ax.plot(
                [x * 0.25 for x in xs], [percentile(buckets[x], 99) * 1000 for x in xs], label=f"{label} p99"
            )
        ax.set_yscale("log")
        ax.set_xlabel("seconds into the window")
        ax.set_ylabel("p99 latency per 0.25 s (ms)")
        ax.set_title("Closed-loop windows (last rep): autosave vs bare view, Daphne vs uvicorn")
        ax.legend(fontsize=8)
    ax = axes[2]
    fan = run.series.get("fanout")
    if fan and fan.get("after_deadline"):
        after = sorted(fan["after_deadline"])
        ax.plot(after, [100 * (i + 1) / len(after) for i in range(len(after))], label="'collected' received")
        echo = fan.get("echo_answered")
        if echo is not None and not math.isnan(echo):
            ax.axvline(
                echo,
                color="tab:orange",
                linestyle="--",
                label=f"echo round trip to all sockets ({echo:.2f} s)",
            )
        ax.axvline(1.0, color="grey", linestyle=":", label="1 s goal")
        ax.set_xlabel("seconds after the deadline")
        ax.set_ylabel("% of sockets")
        ax.set_title("Deadline fan-out (last rep): when each socket got 'collected'")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write(run, folder: Path) -> None:
    payload = asdict(run)
    payload.pop("series", None)
    payload["finished_at"] = datetime.now(UTC).isoformat()
    (folder / "results.json").write_text(json.dumps(_clean(payload), indent=1, default=str))
    try:
        plot(run, folder / "latency.png")
    except Exception as error:  # the numbers matter more than the picture
        run.notes.append(f"plot failed: {error!r}")
    try:
        plot_capacity(run, folder / "capacity.png")
    except Exception as error:
        run.notes.append(f"capacity plot failed: {error!r}")
    (folder / "results.md").write_text(markdown(run))


def _clean(value):
    """JSON has no NaN or infinity: those become null."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def rerender(folder: Path) -> None:
    """Write results.md again from results.json (e.g. after editing reading.md); the plot is
    left as it is."""
    from types import SimpleNamespace

    data = json.loads((folder / "results.json").read_text())
    data["config"] = SimpleNamespace(**data["config"])
    data.pop("finished_at", None)
    data.setdefault("series", {})
    (folder / "results.md").write_text(markdown(SimpleNamespace(**data)))


if __name__ == "__main__":
    rerender(Path(__file__).parent)
