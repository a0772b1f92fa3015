"""Over real sockets: ``cardcheck serve`` processes, ``cardcheck scan --file``, a real Redis.

A recording of cards (rendered by the deck, pasted on a wall) is replayed through the scanner
client; a dashboard on ``/ws/live`` must receive exactly the right ``response.recorded``
events, on the same server, on another server sharing Redis and the database, and across a
Redis restart.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import pytest

from tests.support.ws_servers import (
    RedisProcess,
    Watcher,
    api,
    scan_file,
    scanned,
    seed,
    serve,
    shared_redis,
)
from tests.support.ws_support import UNASSIGNED_CARD, frame

pytestmark = pytest.mark.slow


def recording(folder: Path, *scenes: tuple[dict[int, str], int]) -> Path:
    """PNG frames: each scene is (cards held up, how many frames)."""
    folder.mkdir()
    n = 0
    for cards, count in scenes:
        for _ in range(count):
            (folder / f"frame-{n:04d}.png").write_bytes(frame(cards))
            n += 1
    return folder


def answers(events: list[dict]) -> list[tuple[int, str, str | None]]:  # type: ignore[type-arg]
    return [(e["data"]["card"], e["data"]["answer"], e["data"]["changed_from"]) for e in events]


def contiguous(messages: list[dict]) -> bool:  # type: ignore[type-arg]
    seqs = [m["seq"] for m in messages]
    return seqs == list(range(seqs[0], seqs[0] + len(seqs)))


def test_a_replayed_recording_reaches_the_dashboard(tmp_path: Path, database: str) -> None:
    video = recording(
        tmp_path / "frames",
        ({7: "B", 12: "C", UNASSIGNED_CARD: "A"}, 6),
        ({7: "D", 12: "C"}, 6),
    )
    with serve(database) as url:
        session, students, _ = seed(url)
        with Watcher(url, session) as dashboard:
            unnamed = scan_file(url, video)  # no --session: never guessed, the running listed
            assert unnamed.returncode == 2
            assert f"--session {session}  7B (started" in unnamed.stderr
            out = scanned(url, video, session=session)
            got = dashboard.wait_for(3)
            dashboard.wait_for(1, "scanner.disconnected")
        assert "card 7 D" in out and "card 12 C" in out
        refused = scan_file(url, video, session=session, token="not-the-token")
        assert refused.returncode == 1 and "4401" in refused.stdout
        api(url, "POST", f"sessions/{session}/end")
        ended = scan_file(url, video, session=session)
        assert ended.returncode == 1 and "4409" in ended.stdout
    assert answers(got) == [(7, "B", None), (12, "C", None), (7, "D", "B")]
    assert [e["data"]["student"] for e in got] == [students[7], students[12], students[7]]
    assert contiguous(dashboard.messages[1:])


@pytest.mark.redis
def test_scan_on_one_server_watch_on_another_through_redis(tmp_path: Path, database: str) -> None:
    video = recording(tmp_path / "frames", ({21: "A", 7: "B"}, 6))
    prefix = f"cardcheck-test-{secrets.token_hex(4)}"
    db = database
    with shared_redis() as redis, serve(db, redis=redis, prefix=prefix) as a:
        session, students, _ = seed(a)
        with serve(db, redis=redis, prefix=prefix) as b, Watcher(b, session) as dashboard:
            scanned(a, video, session=session)
            got = dashboard.wait_for(2)
            api(a, "PUT", f"sessions/{session}/responses/{students[12]}", {"answer": "C"})
            got = dashboard.wait_for(3)
    assert sorted(answers(got)) == [(7, "B", None), (12, "C", None), (21, "A", None)]
    assert contiguous(dashboard.messages[1:])


@pytest.mark.redis
def test_a_redis_restart_loses_and_duplicates_nothing(tmp_path: Path, database: str) -> None:
    """Answers recorded while Redis is down reach the other server's dashboard, once each."""
    db = database
    prefix = f"cardcheck-test-{secrets.token_hex(4)}"
    with RedisProcess() as redis, serve(db, redis=redis.url, prefix=prefix) as a:
        session, students, _ = seed(a)

        def put(card: int, letter: str) -> None:
            api(a, "PUT", f"sessions/{session}/responses/{students[card]}", {"answer": letter})

        with serve(db, redis=redis.url, prefix=prefix) as b, Watcher(b, session) as dashboard:
            put(7, "A")
            dashboard.wait_for(1)
            redis.stop()
            # Redis is down: the store still records (scans too), the bus skips and catches up
            scanned(a, recording(tmp_path / "frames", ({12: "B", 21: "B"}, 6)), session=session)
            put(7, "C")
            redis.start()  # the same port, fresh and empty
            put(12, "D")
            dashboard.wait_for(5)
            time.sleep(1.5)  # let a duplicate, if there were one, arrive before counting
            got = dashboard.of("response.recorded")
    assert answers(got) == [(7, "A", None), (12, "B", None), (21, "B", None), (7, "C", "A"),
                            (12, "D", "B")]  # fmt: skip
    assert contiguous(dashboard.messages[1:])
