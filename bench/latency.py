"""Benchmark: from a frame sent on /ws/scan to the first dashboard's ``response.recorded``.

Run from the repository root: ``.venv/bin/python -m bench.latency [--trials N]``.

A real ``cardcheck serve`` runs on a free port with a seeded class and an open question; a
dashboard listens on /ws/live and a scanner on /ws/scan (the websockets library, as the phone
page and ``cardcheck scan`` do). Each trial holds card 7 up with a new answer: the tracker
confirms on the third agreeing frame, so the clock starts when that frame is sent and stops when
the dashboard gets the ``response.recorded`` it caused. Next to it: the same frame's decode
alone (``Detector.detect_bytes`` in this process), the floor the server cannot beat.
Target: end-to-end p95 within 30 ms of the decode p95.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scanner import Deck, Detector
from tests.support.ws_servers import seed, serve
from tests.support.ws_support import TEACHER, frame

ANSWERS = "ABCD"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def decode_times(data: bytes, n: int) -> list[float]:
    detector = Detector(Deck())
    times = []
    for _ in range(n):
        start = time.perf_counter()
        detector.detect_bytes(data, max_bytes=8_000_000, max_pixels=4096 * 4096)
        times.append((time.perf_counter() - start) * 1000)
    return times


async def end_to_end(url: str, session: int, trials: int) -> list[float]:
    ws_url = url.replace("http://", "ws://")
    frames = {a: frame({7: a, 12: "A"}, ext=".jpg") for a in ANSWERS}
    times: list[float] = []
    async with (
        connect(f"{ws_url}/ws/live?session={session}&token={TEACHER}", compression=None) as live,
        connect(f"{ws_url}/ws/scan?session={session}&token={TEACHER}", compression=None) as scan,
    ):
        await live.recv()  # the snapshot
        for trial in range(trials + 1):
            data = frames[ANSWERS[trial % 4]]
            for _ in range(2):  # two agreeing frames: not confirmed yet
                await scan.send(data)
                await scan.recv()
            start = time.perf_counter()
            await scan.send(data)  # the third confirms: the clock runs to the dashboard
            while True:
                message = json.loads(await live.recv())
                if message["type"] == "response.recorded" and message["data"]["card"] == 7:
                    break
            if trial:  # the first trial warms up
                times.append((time.perf_counter() - start) * 1000)
            await scan.recv()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp) / "db.sqlite3") as url:
        session, _, _ = seed(url)
        e2e = asyncio.run(end_to_end(url, session, args.trials))
    decode = decode_times(frame({7: "A", 12: "A"}, ext=".jpg"), args.trials)
    print(f"frame -> first dashboard, {args.trials} trials, 960x540 JPEG with 2 cards")
    print(f"{'':32} {'p50 ms':>8} {'p95 ms':>8}")
    print(f"{'decode alone (the floor)':32} {pct(decode, 50):8.1f} {pct(decode, 95):8.1f}")
    print(f"{'frame sent -> response.recorded':32} {pct(e2e, 50):8.1f} {pct(e2e, 95):8.1f}")
    over = pct(e2e, 95) - pct(decode, 95)
    print(f"{'overhead (p95 - decode p95)':32} {'':8} {over:8.1f}   target <= 30.0")
    print(f"mean end-to-end {statistics.mean(e2e):.1f} ms")


if __name__ == "__main__":
    main()
