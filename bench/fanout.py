"""Benchmark: one event to 1,000 projectors, on one process and on two processes sharing Redis.

Run from the repository root: ``.venv/bin/python -m bench.fanout [--connections N]``.

Real ``cardcheck serve`` processes on free ports; the projectors are websockets clients in
separate client processes (so the server's numbers are its own), each connection counting as
one dashboard. Once every connection has its snapshot, the server's RSS is read again: the
delta over the connections is the memory per idle connection. Then ``--events`` manual answers
are entered through the HTTP API one at a time; each projector notes when each
``response.recorded`` arrives. Delivery time is arrival minus the moment the answer was sent,
over every (event, connection) pair; loss is any pair that never arrives.

With Redis, half the connections are on each server and the answers are entered on the first.
Targets: p99 under 100 ms for 1,000 connections, under 40 KB per idle connection, no loss.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.ws_servers import api, seed, serve, shared_redis
from tests.support.ws_support import TEACHER

CLIENT_PROCESSES = 2


def raise_open_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 8192 if hard == resource.RLIM_INFINITY else min(hard, 8192)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def server_pid(url: str) -> int:
    """The pid of the process listening on ``url``'s port (a child of this one)."""
    port = url.rsplit(":", 1)[1]
    out = subprocess.run(["ss", "-Htlnp", f"sport = :{port}"], capture_output=True, text=True)
    return int(out.stdout.split("pid=")[1].split(",")[0])


# -- the client process ----------------------------------------------------------------------


async def client(urls: list[str], session: int, projector: str, n: int, events: int) -> None:
    from websockets.asyncio.client import connect

    arrivals: dict[int, list[float]] = {}
    ready = complete = 0
    finish = asyncio.Event()  # close together, after the last event: closing is work too

    async def one(i: int) -> None:
        nonlocal ready, complete
        url = urls[i % len(urls)].replace("http://", "ws://")
        async with connect(
            f"{url}/ws/live?session={session}&token={projector}",
            compression=None,
            open_timeout=60,
            ping_interval=None,
        ) as ws:
            await ws.recv()
            ready += 1
            got = 0
            async for raw in ws:
                now = time.time()
                m = json.loads(raw)
                if m["type"] == "response.recorded":
                    arrivals.setdefault(m["seq"], []).append(now)
                    got += 1
                    if got == events:
                        complete += 1
                        await finish.wait()
                        return

    tasks = []
    for i in range(n):
        tasks.append(asyncio.create_task(one(i)))
        if i % 50 == 49:
            await asyncio.sleep(0.05)  # do not stampede the accept queue
    while ready < n:
        await asyncio.sleep(0.05)
    print("ready", flush=True)
    deadline = time.monotonic() + 120
    while complete < n and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    finish.set()
    _, pending = await asyncio.wait(tasks, timeout=30)
    for t in pending:
        t.cancel()
    print(json.dumps({str(k): v for k, v in arrivals.items()}), flush=True)


# -- the driver ------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(urls: list[str], connections: int, events: int) -> dict[str, Any]:
    session, students, _ = seed(urls[0])
    projector = json.loads(
        urllib.request.urlopen(
            urllib.request.Request(
                f"{urls[0]}/api/sessions/{session}", headers={"Authorization": f"Bearer {TEACHER}"}
            )
        ).read()
    )["projector_url"].split("token=")[1]
    pids = [server_pid(u) for u in urls]
    before = sum(rss_kb(p) for p in pids)
    per = connections // CLIENT_PROCESSES
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.fanout",
                "--client",
                json.dumps(
                    {
                        "urls": urls,
                        "session": session,
                        "projector": projector,
                        "n": per,
                        "events": events,
                    }
                ),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(CLIENT_PROCESSES)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    time.sleep(1.0)  # let the server settle before reading its memory
    after = sum(rss_kb(p) for p in pids)
    sent: dict[int, float] = {}
    cards = list(students.values())
    for i in range(events):
        student = cards[i % len(cards)]
        start = time.time()
        reply = api(urls[0], "PUT", f"sessions/{session}/responses/{student}",
                    {"answer": "ABCD"[(i // len(cards)) % 4]})  # fmt: skip
        sent[reply["events"][0]["seq"]] = start
        time.sleep(0.25)
    delays: list[float] = []
    received = 0
    for p in procs:
        out, _ = p.communicate(timeout=180)
        arrivals = json.loads(out.strip().splitlines()[-1])
        for seq, times in arrivals.items():
            received += len(times)
            delays += [(t - sent[int(seq)]) * 1000 for t in times if int(seq) in sent]
            if os.environ.get("FANOUT_DEBUG"):
                ms = sorted((t - sent[int(seq)]) * 1000 for t in times)
                print(seq, round(ms[0]), round(ms[len(ms) // 2]), round(ms[-1]), file=sys.stderr)
    expected = events * per * CLIENT_PROCESSES
    return {
        "connections": per * CLIENT_PROCESSES,
        "p50": pct(delays, 50),
        "p99": pct(delays, 99),
        "kb_per_conn": (after - before) / (per * CLIENT_PROCESSES),
        "lost": expected - received,
        "expected": expected,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args()
    raise_open_files()
    if args.client:
        c = json.loads(args.client)
        asyncio.run(client(c["urls"], c["session"], c["projector"], c["n"], c["events"]))
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        with serve(Path(tmp) / "one.sqlite3") as url:
            rows.append(("one process", run([url], args.connections, args.events)))
        prefix = f"cardcheck-bench-{secrets.token_hex(4)}"
        db = Path(tmp) / "two.sqlite3"
        with (
            shared_redis() as redis,
            serve(db, redis=redis, prefix=prefix) as a,
            serve(db, redis=redis, prefix=prefix) as b,
        ):
            rows.append(("two processes, Redis", run([a, b], args.connections, args.events)))
    print(f"one event to N projectors, {args.events} events, {CLIENT_PROCESSES} client processes")
    head = f"{'':22} {'conns':>6} {'p50 ms':>8} {'p99 ms':>8} {'KB/conn':>8} {'lost':>6}"
    print(head)
    for name, r in rows:
        print(
            f"{name:22} {r['connections']:6d} {r['p50']:8.1f} {r['p99']:8.1f} "
            f"{r['kb_per_conn']:8.1f} {r['lost']:6d}"
        )
    print(f"{'target':22} {'':6} {'':8} {'< 100':>8} {'< 40':>8} {'0':>6}")


if __name__ == "__main__":
    main()
