"""Benchmark: a server's memory through a burst of 16-megapixel frames, and after it.

Run from the repository root: ``.venv/bin/python -m bench.frames_memory [--frames N]``.

A real ``cardcheck serve`` runs with a seeded class and an open question; six scanners (the
websockets library, one frame in flight each, as the phone page does) each send ``--frames``
JPEG frames of 4896 x 3264 pixels showing 40 cards. The server's resident memory is read from
``/proc``: idle (after one small frame has warmed the detector up), its peak, and 1 s and 5 s
after the scanners have gone. Target: back within about 100 MB of idle.

``before`` is the same server configured as the code was before frames were decoded at the size
the detector needs: full size (``CARDCHECK_DETECT_PIXELS`` above the frame's size) on asyncio's
default pool (six threads on two cores). ``now`` is the default configuration: frames over
3840 x 2160 decoded at half size, on two decoding threads. Frames are drawn from two seeds:
seed 3 was used to choose the defaults, seed 5 only to report.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from websockets.asyncio.client import connect

from scanner import Deck
from scanner.synth import classroom_frame
from tests.support.ws_servers import seed, serve
from tests.support.ws_support import TEACHER

SCANNERS = 6
WIDTH, HEIGHT = 4896, 3264
CONFIGS = {
    "before": {"CARDCHECK_DETECT_PIXELS": str(10**9), "CARDCHECK_SCAN_WORKERS": "6"},
    "now": {},
}


def make_frame(seed_value: int) -> bytes:
    img, _ = classroom_frame(
        np.random.default_rng(seed_value), Deck(), width=WIDTH, height=HEIGHT, n_cards=40,
        min_side=40, max_side=300,
    )  # fmt: skip
    ok, jpeg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 88])
    assert ok
    return jpeg.tobytes()


def memory_mb(pid: int) -> dict[str, float]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def server_pid(db: Path) -> int:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"serve" in cmdline and str(db).encode() in cmdline:
                return int(entry.name)
    raise RuntimeError("the server process was not found")


async def scanner(url: str, session: int, frame: bytes, n: int) -> list[int]:
    """Send ``n`` frames, each after the answer to the last; the cards read in each."""
    ws_url = url.replace("http", "ws", 1) + f"/ws/scan?session={session}&token={TEACHER}"
    cards = []
    async with connect(ws_url, max_size=2**22, compression=None) as ws:
        for _ in range(n):
            await ws.send(frame)
            while True:
                message = json.loads(await ws.recv())
                if message["type"] == "scan.frame":
                    cards.append(len(message["cards"]))
                    break
                if message["type"] == "error":
                    raise RuntimeError(message["message"])
    return cards


async def burst(url: str, session: int, frame: bytes, n: int) -> list[int]:
    results = await asyncio.gather(*(scanner(url, session, frame, n) for _ in range(SCANNERS)))
    return [c for r in results for c in r]


def run(config: str, frame: bytes, frames: int) -> dict[str, Any]:
    saved = {k: os.environ.get(k) for k in CONFIGS[config]}
    os.environ.update(CONFIGS[config])
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.sqlite3"
            with serve(db) as url:
                pid = server_pid(db)
                session, _, _ = seed(url)
                small = cv2.imencode(".jpg", np.full((720, 1280), 200, np.uint8))[1].tobytes()
                asyncio.run(burst(url, session, small, 1))
                time.sleep(1.0)
                idle = memory_mb(pid)["VmRSS"]
                start = time.perf_counter()
                cards = asyncio.run(burst(url, session, frame, frames))
                seconds = time.perf_counter() - start
                peak = memory_mb(pid)["VmHWM"]
                time.sleep(1.0)
                after_1 = memory_mb(pid)["VmRSS"]
                time.sleep(4.0)
                after_5 = memory_mb(pid)["VmRSS"]
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return {
        "idle": idle,
        "peak": peak,
        "after_1": after_1,
        "after_5": after_5,
        "fps": len(cards) / seconds,
        "cards": float(np.median(cards)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=6, help="frames per scanner")
    args = parser.parse_args()
    if not sys.platform.startswith("linux"):
        sys.exit("reads /proc: Linux only")
    print(f"{SCANNERS} scanners x {args.frames} frames of {WIDTH}x{HEIGHT} (40 cards each)")
    print(
        f"{'seed':>4}  {'config':<7} {'idle MB':>8} {'peak MB':>8} {'+1 s MB':>8} {'+5 s MB':>8}"
        f" {'over idle':>9} {'frames/s':>8} {'cards/frame':>11}"
    )
    for seed_value, use in ((3, "tuned on"), (5, "reported")):
        frame = make_frame(seed_value)
        for config in CONFIGS:
            r = run(config, frame, args.frames)
            print(
                f"{seed_value:>4}  {config:<7} {r['idle']:8.0f} {r['peak']:8.0f}"
                f" {r['after_1']:8.0f} {r['after_5']:8.0f} {r['after_5'] - r['idle']:9.0f}"
                f" {r['fps']:8.1f} {r['cards']:11.0f}   ({use})"
            )


if __name__ == "__main__":
    main()
