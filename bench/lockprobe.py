"""Lock probe: does one process's write lock stop another process's event loop?

Two ``cardcheck serve`` processes share one SQLite file. Process A imports question sets
(200 questions per CSV, one write transaction each) for four clients at once, back to back, so
the file's write lock is almost never free, as with the issue's looping importers.
Process B answers: a teacher enters answers (writes that wait for A's lock) and a dashboard
polls a cheap GET (``/api/classes/{id}``, one small read). The GETs' latency is the probe.

Two loads on process A's side, each in its own rows:

- ``imports``: A imports question sets for four clients at once, back to back;
- ``110-270 ms``: another process holds the file's write lock in transactions of 110 to 270 ms
  (the length the issue measured for a roster import), back to back: what a slower disk or a
  bigger import does, reproduced independently of how fast this machine imports.

Three builds, each on a new data folder, in the same run:

- ``before``: the code of ``--baseline-ref`` (the last commit with the store on the loop), unpacked from git into a
  temporary folder, store calls on the event loop;
- ``on loop``: this code with ``CARDCHECK_STORE_THREADS=0`` (calls back on the loop);
- ``off loop``: this code as it ships (a pool of worker threads, a bounded wait, 503s).

Target: a cheap GET under 50 ms at p99 while the other process imports. Bounded: each phase
lasts ``--seconds``, every request has a 30 s timeout, the servers are stopped at the end.

    python -m bench.lockprobe [--seconds 20] [--seeds 1 2] [--baseline-ref REF]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "lockprobe-teacher-token"
BASELINE = "9174c35"  # the last commit whose store calls ran on the event loop


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(
    base: str, method: str, path: str, body: Any = None, *, raw: bytes | None = None
) -> tuple[int, Any]:
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    headers["Content-Type"] = "text/csv" if raw is not None else "application/json"
    req = urllib.request.Request(base + path, method=method, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None


@contextlib.contextmanager
def _serve(code: Path, db: Path, env_extra: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(code), "CARDCHECK_RULES_TICK_S": "0", **env_extra}
    args = [sys.executable, "-m", "live.cli", "serve", "--port", str(port), "--db", str(db),
            "--token", TOKEN, "--data-dir", str(db.parent)]  # fmt: skip
    proc = subprocess.Popen(
        args, cwd=code, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/api/health", timeout=1).read()
                break
            except (urllib.error.URLError, OSError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"cardcheck serve from {code} did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Phase:
    gets: list[float] = field(default_factory=list)  # ms
    answers: dict[int, int] = field(default_factory=dict)  # status -> count
    imports: list[float] = field(default_factory=list)  # ms, successful ones
    import_statuses: dict[int, int] = field(default_factory=dict)


QUESTIONS_PER_IMPORT = 200  # the most one set may hold
IMPORTERS = 4  # clients importing into process A at once, back to back


def _question_set(rng: random.Random) -> bytes:
    lines = ["prompt,choices,correct,skills"]
    for i in range(QUESTIONS_PER_IMPORT):
        a, b = rng.randrange(100), rng.randrange(100)
        lines.append(f"What is {a} + {b}? ({i}),{a + b}|{a + b + 1}|{a + b - 1},A,sums")
    return ("\n".join(lines) + "\n").encode()


def _phase(a: str, b: str, seconds: float, seed: int, *, hold: Path | None = None) -> Phase:
    rng = random.Random(seed)
    _, cls = _request(b, "POST", "/api/classes", {"name": "Probe"})
    students = [
        _request(b, "POST", f"/api/classes/{cls['id']}/students", {"name": f"P{i}"})[1]["id"]
        for i in range(30)
    ]
    question = {"prompt": "?", "choices": ["a", "b", "c", "d"], "correct": "A"}
    _, q = _request(b, "POST", "/api/questions", question)
    _, started = _request(b, "POST", "/api/sessions", {"class_id": cls["id"]})
    # the baseline answered {"session": {...}, ...}; sessions are a resource of their own since
    sid = started["session"]["id"] if "session" in started else started["id"]
    _request(b, "POST", f"/api/sessions/{sid}/ask", {"question_id": q["id"]})
    out = Phase()
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def importer() -> None:
        i = 0
        while time.monotonic() < stop:
            i += 1
            body = _question_set(rng)
            t = time.perf_counter()
            status, _ = _request(a, "POST", f"/api/sets/import?name=Import+{seed}-{i}", raw=body)
            with lock:
                out.import_statuses[status] = out.import_statuses.get(status, 0) + 1
                if status in (200, 201):
                    out.imports.append((time.perf_counter() - t) * 1000)

    def answerer() -> None:
        while time.monotonic() < stop:
            body = {"answer": rng.choice("ABCD")}
            status, _ = _request(
                b, "PUT", f"/api/sessions/{sid}/responses/{rng.choice(students)}", body
            )
            with lock:
                out.answers[status] = out.answers.get(status, 0) + 1
            time.sleep(0.1)

    def getter() -> None:
        while time.monotonic() < stop:
            t = time.perf_counter()
            status, _ = _request(b, "GET", f"/api/classes/{cls['id']}")
            if status == 200:
                out.gets.append((time.perf_counter() - t) * 1000)
            time.sleep(0.05)

    def holder() -> None:
        assert hold is not None
        conn = sqlite3.connect(hold, timeout=30, isolation_level=None)
        i = 0
        while time.monotonic() < stop:
            i += 1
            conn.execute("BEGIN IMMEDIATE")
            t = time.perf_counter()
            conn.execute(
                "INSERT INTO meta(key, value) VALUES ('lockprobe', ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (str(i),),
            )
            time.sleep(rng.uniform(0.110, 0.270))
            conn.execute("COMMIT")
            with lock:
                out.imports.append((time.perf_counter() - t) * 1000)
                out.import_statuses[200] = out.import_statuses.get(200, 0) + 1
            time.sleep(0.001)
        conn.close()

    load = [holder] if hold is not None else [importer] * IMPORTERS
    jobs = [*load, answerer, getter]
    threads = [threading.Thread(target=f) for f in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@contextlib.contextmanager
def _baseline(ref: str) -> Iterator[Path]:
    """The tree of ``ref`` in a temporary folder (``git archive``: the repository is untouched)."""
    where = Path(tempfile.mkdtemp(prefix="cardcheck-baseline-"))
    try:
        tree = subprocess.run(
            ["git", "archive", "--format=tar", ref], cwd=ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(where)], input=tree, check=True)
        yield where
    finally:
        shutil.rmtree(where, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--baseline-ref", default=BASELINE)
    args = parser.parse_args()

    rows = []
    with _baseline(args.baseline_ref) as old:
        builds = [
            (f"before, {args.baseline_ref} (calls on the loop)", old, {}),
            ("this, CARDCHECK_STORE_THREADS=0", ROOT, {"CARDCHECK_STORE_THREADS": "0"}),
            ("this (worker pool, bounded wait)", ROOT, {}),
        ]
        for load in ("imports", "110-270 ms"):
            for seed in args.seeds:
                for name, code, env in builds:
                    folder = Path(tempfile.mkdtemp(prefix="cardcheck-lockprobe-"))
                    try:
                        db = folder / "cardcheck.sqlite3"
                        with _serve(code, db, env) as a, _serve(code, db, env) as b:
                            hold = db if load != "imports" else None
                            phase = _phase(a, b, args.seconds, seed, hold=hold)
                    finally:
                        shutil.rmtree(folder, ignore_errors=True)
                    rows.append((load, seed, name, phase))
                    print(f"  {load}, seed {seed}: {name} done", file=sys.stderr)

    print(
        f"\nLock probe: cheap GETs on process B while process A imports ({args.seconds:g} s"
        " per row; target p99 < 50 ms)\n"
    )
    head = ("A's load", "seed", "build", "GETs", "p50 ms", "p95 ms", "p99 ms", "max ms", "answers 200/503/500",
            "A's writes", "A's write p50 ms")  # fmt: skip
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for load, seed, name, p in rows:
        answers = "/".join(str(p.answers.get(s, 0)) for s in (200, 503, 500))
        other = sum(n for s, n in p.answers.items() if s not in (200, 503, 500))
        if other:
            answers += f" (+{other} other)"
        imports = f"{len(p.imports)}"
        failed = sum(n for s, n in p.import_statuses.items() if s not in (200, 201))
        if failed:
            imports += f" (+{failed} refused)"
        cells = [
            load,
            str(seed),
            name,
            str(len(p.gets)),
            f"{_pct(p.gets, 50):.1f}",
            f"{_pct(p.gets, 95):.1f}",
            f"{_pct(p.gets, 99):.1f}",
            f"{max(p.gets, default=float('nan')):.1f}",
            answers,
            imports,
            f"{statistics.median(p.imports):.0f}" if p.imports else "-",
        ]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
