"""Schemathesis against a real ``cardcheck serve``: the same run for ``make test`` (short,
deterministic) and ``make fuzz`` (every phase, stateful, ten minutes).

``python -m tests.fuzz.run [--minutes M]`` starts a server on 127.0.0.1 with a fresh data
folder, seeds a class, runs ``st run`` with ``tests/fuzz/schemathesis.toml`` and exits with its
status; it also fails when the server logged a traceback.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support.ws_servers import api, seed, serve
from tests.support.ws_support import TEACHER

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "schemathesis.toml"


def schemathesis(url: str, *, minutes: float | None, seed_value: int = 1) -> list[str]:
    """The ``st run`` command line: a quick deterministic pass, or ``minutes`` of every phase."""
    st = str(Path(sys.executable).with_name("st"))
    args = [st, "--config-file", str(CONFIG), "run", f"{url}/api/openapi.json",
            "-H", f"Authorization: Bearer {TEACHER}", "--no-color",
            "--phases", "examples,coverage,fuzzing,stateful",
            "--request-timeout", "60"]  # fmt: skip
    if minutes is None:
        # the same cases every run, one at a time, and no timing-based health checks: the same
        # verdict on a loaded CI machine as on a quiet one
        return [*args, "--generation-deterministic", "--max-examples", "15", "--workers", "1",
                "--suppress-health-check", "all"]  # fmt: skip
    return [*args, "--seed", str(seed_value), "--max-time", str(int(minutes * 60)),
            "--workers", "2"]  # fmt: skip


def seed_data(url: str) -> None:
    """Something real to find: a class with students and a group, a question asked, and the
    owner's account (so the owner token's own tokens and password have an account)."""
    api(url, "POST", "users", {"username": "owner", "password": "fuzzing owner password"})
    session, students, _ = seed(url)
    cls = api(url, "GET", f"sessions/{session}")["session"]["class_id"]
    api(url, "POST", f"classes/{cls}/groups", {"name": "Blue", "students": list(students.values())})


def run(*, minutes: float | None, seed_value: int = 1, out: Path | None = None) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        with serve(Path(tmp) / "fuzz.sqlite3", log=log) as url:
            seed_data(url)
            done = subprocess.run(
                schemathesis(url, minutes=minutes, seed_value=seed_value),
                capture_output=True,
                text=True,
                timeout=None if minutes is None else minutes * 60 + 600,
            )
        report = done.stdout + done.stderr
        server = log.read_text(errors="replace")
    if out is not None:
        out.write_text(report)
    print(report)
    if "Traceback" in server:
        print("the server logged a traceback:\n" + server[-4000:])
        return 1
    return done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=None, help="every phase for this long")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="also write the report here")
    args = parser.parse_args()
    sys.exit(run(minutes=args.minutes, seed_value=args.seed, out=args.out))


if __name__ == "__main__":
    main()
