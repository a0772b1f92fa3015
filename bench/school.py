"""Benchmark: a school in one machine. K classrooms at once, each a scanner sending camera frames
at 3 fps, a projector and a console; how many classrooms the machine holds.

Run from the repository root: ``.venv/bin/python -m bench.school [--seconds S] [--steps 2,4,...]``.

Two deployments, each with real ``cardcheck serve`` processes on free ports of 127.0.0.1:

* **school**: 2 workers on PostgreSQL (a database made for the run on the server at
  127.0.0.1:5432, dropped after) and Redis (127.0.0.1:6379, a prefix of the run's own). Each
  classroom's scanner is on one worker, its projector and console on the other, so every answer
  crosses the Redis bus.
* **laptop** (the baseline): 1 worker on an SQLite file, no Redis.

A classroom is a class of ten students on cards 1-10 and a session with a question open. Its
scanner sends 1280x720 JPEG frames (quality 0.8, as the scanner page encodes them) of the ten
cards rendered by ``scanner.Deck`` on a grey wall, 3 frames a second, each frame after the answer
to the previous one (the scanner page keeps one frame in flight); every second one student turns
their card to another answer. The frames come from a set made once (16 rooms, rendered and
encoded before the clock starts) so that the clients spend no CPU drawing.

Measured over ``--seconds`` after a warm-up, for K = each of ``--steps`` (ascending; a
deployment stops at the first K that fails):

* **frames/s**: ``scan.frame`` answers per second, all classrooms together, against the 3 x K sent
  for;
* **answer p95**: from the sending of the frame whose answer confirms a card's new answer (the
  tracker's third agreeing frame) to the console's ``response.recorded`` for it: decode, record,
  publish, fan out. The confirmation frames themselves (about a second at 3 fps) are the same
  for every K and are not counted;
* **lost**: confirmed answers that never reached the console;
* **CPU/room**: the workers' CPU time (user + system, from /proc) over the window, per
  classroom, as a share of one core; **PG/room** the same for the PostgreSQL server processes
  serving the run's database (found in ``pg_stat_activity``). Redis's CPU is not counted: one
  process serves other people's tests on this machine too.

K holds when answer p95 < 250 ms, frames/s >= 90% of 3 x K and nothing is lost. The machine is
shared with other people's tests: the load average before and after each step is printed
beside it, and the numbers are only as good as the quiet of the machine at the time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scanner import Deck
from tests.support.databases import fresh_database
from tests.support.deployment import Worker
from tests.support.ws_servers import api, shared_redis
from tests.support.ws_support import TEACHER

FPS = 3.0
CHANGE_S = 1.0  # one student changes answer this often in each classroom
CARDS = list(range(1, 11))
ROOMS = 16  # distinct frames: the answers of the ten cards, one change apart
P95_LIMIT_MS = 250.0
WARMUP_S = 4.0


def room_frames() -> list[bytes]:
    """``ROOMS`` JPEG frames of cards 1-10 (two rows of five, 150 px), each one card's answer
    away from the one before."""
    deck = Deck()
    answers = dict.fromkeys(CARDS, "A")
    out = []
    for i in range(ROOMS):
        card = CARDS[(i * 3) % len(CARDS)]
        answers[card] = "ABCD"[("ABCD".index(answers[card]) + 1 + i % 3) % 4]
        img = np.full((720, 1280, 3), 165, np.uint8)
        for j, number in enumerate(CARDS):
            tile = deck.render_card(number, answer=answers[number], size_px=150)
            x, y = 70 + (j % 5) * 235, 120 + (j // 5) * 300
            img[y : y + 150, x : x + 150] = cv2.cvtColor(tile, cv2.COLOR_GRAY2BGR)
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 80])
        assert ok
        out.append(buf.tobytes())
    return out


@dataclass
class Classroom:
    session: int
    scanner_url: str
    dashboard_url: str
    projector_token: str
    phase: int
    answered: int = 0
    confirmed: list[tuple[int, str, float]] = field(default_factory=list)  # card, answer, sent
    arrived: list[tuple[int, str, float]] = field(default_factory=list)  # at the console
    projector_events: int = 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backends_cpu(db: str | None) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL server process connected to ``db`` (a server on
    this machine), by pid; {} for SQLite."""
    if db is None:
        return {}
    import psycopg

    with psycopg.connect(db, autocommit=True) as conn:
        pids = [
            int(pid)
            for (pid,) in conn.execute(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ]
    out = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            out[pid] = cpu_seconds(pid)
    return out


async def scanner(room: Classroom, frames: list[bytes], start: float, end: float) -> None:
    from websockets.asyncio.client import connect

    url = room.scanner_url.replace("http://", "ws://")
    last: dict[int, str] = {}
    async with connect(
        f"{url}/ws/scan?session={room.session}&token={TEACHER}&name=bench",
        compression=None,
        max_size=2**22,
    ) as ws:
        due = time.monotonic()
        while time.monotonic() < end:
            now = time.monotonic()
            frame = frames[(int((now - start) / CHANGE_S) + room.phase) % len(frames)]
            sent = time.monotonic()
            await ws.send(frame)
            while (reply := json.loads(await ws.recv()))["type"] != "scan.frame":
                pass
            if sent >= start:
                room.answered += 1
            for c in reply["cards"]:
                if c["state"] == "confirmed" and last.get(c["card"]) != c["answer"]:
                    last[c["card"]] = c["answer"]
                    room.confirmed.append((c["card"], c["answer"], sent))
            due = max(due + 1 / FPS, time.monotonic())
            await asyncio.sleep(due - time.monotonic())


async def dashboard(room: Classroom, token: str, end: float, console: bool) -> None:
    from websockets.asyncio.client import connect

    url = room.dashboard_url.replace("http://", "ws://")
    async with connect(
        f"{url}/ws/live?session={room.session}&token={token}", compression=None, max_size=2**24
    ) as ws:
        with contextlib.suppress(TimeoutError):
            while True:
                raw = await asyncio.wait_for(ws.recv(), max(0.1, end - time.monotonic()))
                message = json.loads(raw)
                if message["type"] != "response.recorded":
                    continue
                if console:
                    data = message["data"]
                    room.arrived.append((data["card"], data["answer"], time.monotonic()))
                else:
                    room.projector_events += 1


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class Step:
    k: int
    fps: float
    p95_ms: float
    p50_ms: float
    lost: int
    cpu_per_room: float  # share of one core
    db_per_room: float | None  # PostgreSQL's backends, share of one core (None: SQLite)
    answers_per_s: float
    load_before: float
    load_after: float

    @property
    def holds(self) -> bool:
        return self.p95_ms < P95_LIMIT_MS and self.fps >= 0.9 * FPS * self.k and self.lost == 0


def latencies(room: Classroom, start: float) -> tuple[list[float], int]:
    """(answer-to-console ms of the answers confirmed in the window, how many never arrived)."""
    pending: dict[tuple[int, str], list[float]] = {}
    for card, answer, at in room.arrived:
        pending.setdefault((card, answer), []).append(at)
    out, lost = [], 0
    for card, answer, sent in room.confirmed:
        arrivals = pending.get((card, answer), [])
        if not arrivals:
            lost += sent >= start
            continue
        at = arrivals.pop(0)
        if sent >= start:
            out.append((at - sent) * 1000)
    return out, lost


async def run_step(
    rooms: list[Classroom], frames: list[bytes], pids: list[int], db: str | None, seconds: float
) -> Step:
    begin = time.monotonic()
    start, end = begin + WARMUP_S, begin + WARMUP_S + seconds
    load_before = os.getloadavg()[0]
    tasks = []
    for room in rooms:
        tasks.append(dashboard(room, TEACHER, end + 2.0, console=True))
        tasks.append(dashboard(room, room.projector_token, end + 2.0, console=False))
    clients = [asyncio.ensure_future(t) for t in tasks]
    await asyncio.sleep(1.0)  # every dashboard has its snapshot before the first frame
    scans = [asyncio.ensure_future(scanner(r, frames, start, end)) for r in rooms]
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    cpu0 = sum(cpu_seconds(p) for p in pids)
    db0 = backends_cpu(db)
    await asyncio.sleep(max(0.0, end - time.monotonic()))
    cpu1 = sum(cpu_seconds(p) for p in pids)
    db1 = backends_cpu(db)
    await asyncio.gather(*scans)
    await asyncio.gather(*clients)
    all_ms: list[float] = []
    lost = 0
    for room in rooms:
        ms, missing = latencies(room, start)
        all_ms += ms
        lost += missing
    return Step(
        k=len(rooms),
        fps=sum(r.answered for r in rooms) / seconds,
        p95_ms=pct(all_ms, 95),
        p50_ms=pct(all_ms, 50),
        lost=lost,
        cpu_per_room=(cpu1 - cpu0) / seconds / len(rooms),
        db_per_room=(
            None
            if db is None
            else sum(t - db0.get(pid, 0.0) for pid, t in db1.items()) / seconds / len(rooms)
        ),
        answers_per_s=len(all_ms) / seconds,
        load_before=load_before,
        load_after=os.getloadavg()[0],
    )


def classrooms(urls: list[str], k: int) -> list[Classroom]:
    """K classes of ten, each with a session and an open question; scanner on one worker,
    dashboards on the next."""
    out = []
    for i in range(k):
        a, b = urls[i % len(urls)], urls[(i + 1) % len(urls)]
        cls = api(a, "POST", "classes", {"name": f"room {secrets.token_hex(3)}"})
        for card in CARDS:
            api(a, "POST", f"classes/{cls['id']}/students", {"name": f"S{card}", "card": card})
        q = api(a, "POST", "questions", {"prompt": "Q", "choices": list("abcd"), "correct": "B"})
        session = api(a, "POST", "sessions", {"class_id": cls["id"]})["id"]
        api(a, "POST", f"sessions/{session}/ask", {"question_id": q["id"]})
        link = api(a, "GET", f"sessions/{session}")["projector_url"]
        token = link.split("token=", 1)[1]
        out.append(Classroom(session, a, b, token, phase=i * 5))
    return out


def end_sessions(urls: list[str], rooms: list[Classroom]) -> None:
    for room in rooms:
        api(urls[0], "POST", f"sessions/{room.session}/end")


@contextlib.contextmanager
def deployment(kind: str, folder: Path) -> Iterator[tuple[list[Worker], str | None]]:
    """The workers of ``kind`` ("school" or "laptop"), ready, and the PostgreSQL URL (None for
    SQLite)."""
    with contextlib.ExitStack() as stack:
        if kind == "school":
            db = stack.enter_context(fresh_database("cardcheck_bench"))
            redis: str | None = stack.enter_context(shared_redis())
            count = 2
        else:
            db, redis, count = str(folder / "laptop.sqlite3"), None, 1
        prefix = f"cardcheck-bench-{secrets.token_hex(4)}"
        workers = [Worker(db, redis=redis, prefix=prefix, folder=folder) for _ in range(count)]
        try:
            for w in workers:
                w.wait_ready()
            yield workers, (db if kind == "school" else None)
        finally:
            for w in workers:
                w.stop()


def measure(kind: str, frames: list[bytes], steps: list[int], seconds: float) -> list[Step]:
    folder = Path(tempfile.mkdtemp(prefix=f"cardcheck-bench-{kind}-"))
    out: list[Step] = []
    try:
        with deployment(kind, folder) as (workers, db):
            urls = [w.url for w in workers]
            pids = [w.proc.pid for w in workers]
            for k in steps:
                rooms = classrooms(urls, k)
                step = asyncio.run(run_step(rooms, frames, pids, db, seconds))
                end_sessions(urls, rooms)
                out.append(step)
                print(f"  {kind:6} K={k:3}: {row(step)}", flush=True)
                if not step.holds:
                    break
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out


def row(s: Step) -> str:
    return (
        f"{s.fps:6.1f} / {FPS * s.k:5.0f} | {s.p50_ms:7.0f} | {s.p95_ms:7.0f} | {s.lost:4} |"
        f" {100 * s.cpu_per_room:6.1f}% |"
        + ("      - |" if s.db_per_room is None else f" {100 * s.db_per_room:5.1f}% |")
        + f" {s.answers_per_s:5.1f} |"
        f" {s.load_before:5.1f} -> {s.load_after:5.1f} | {'yes' if s.holds else 'no'}"
    )


def held(steps: list[Step]) -> int:
    ok = [s.k for s in steps if s.holds]
    return max(ok) if ok else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="measured time per step")
    parser.add_argument("--steps", default="2,4,6,8,10,12,16,24", help="classrooms per step")
    args = parser.parse_args()
    steps = sorted(int(s) for s in args.steps.split(","))
    frames = room_frames()
    print(
        f"bench/school.py: {FPS:g} fps per scanner, frames of {len(CARDS)} cards"
        f" ({len(frames[0]) // 1000} KB JPEG, 1280x720), {args.seconds:g} s per step;"
        f" {os.cpu_count()} cores, shared with other people's tests (load averages below)",
        flush=True,
    )
    results = {kind: measure(kind, frames, steps, args.seconds) for kind in ("school", "laptop")}
    head = (
        "deployment                       |  K | frames/s (of) | p50 ms | p95 ms | lost |"
        " CPU/room | PG/room | ans/s | load 1-min | holds"
    )
    print()
    print(head)
    print("-" * len(head))
    names = {"school": "2 workers, PostgreSQL + Redis", "laptop": "1 worker, SQLite (baseline)"}
    for kind, steps_ in results.items():
        for s in steps_:
            print(f"{names[kind]:32} | {s.k:2} | {row(s)}")
    print()
    for kind, steps_ in results.items():
        # what a classroom costs hardly depends on K: the median over the steps run
        cpu = statistics.median(s.cpu_per_room for s in steps_)
        db = [s.db_per_room for s in steps_ if s.db_per_room is not None]
        print(
            f"{names[kind]}: holds {held(steps_)} classrooms at p95 < {P95_LIMIT_MS:g} ms on this"
            f" machine at this load; workers' CPU {100 * cpu:.1f}% of a core per classroom"
            f" (median of the steps), so about {1 / cpu:.0f} classrooms per core of workers"
            + (
                f"; PostgreSQL {100 * statistics.median(db):.1f}% of a core per classroom"
                if db
                else ""
            )
        )


if __name__ == "__main__":
    main()
