"""The server processes sharing this store, each saying now and then that it is alive.

A server that starts while another one is alive (several workers on one database) must not take
that one's sessions for abandoned; a server that starts alone finds the sessions it did not end
interrupted (``live.realtime.lifecycle``). Each row names its machine and process id, so that a
server on the same machine can tell a crashed one from a live one at once. Rows of servers long
gone are pruned.
"""

from __future__ import annotations

from live.store.database import Database, Row

__all__ = ["ServerRecords"]

FORGET_AFTER_S = 7 * 24 * 3600.0  # a row this old belongs to a server that will not come back


class ServerRecords(Database):
    """Heartbeats of the processes serving this store."""

    def server_seen(self, server_id: str, *, host: str, pid: int, now: float) -> None:
        """Record that ``server_id`` (process ``pid`` on ``host``) is alive at ``now``; its first
        call registers it."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO servers(id, host, pid, started_at, seen_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET seen_at = excluded.seen_at",
                (server_id, host, pid, now, now),
            )
            db.execute("DELETE FROM servers WHERE seen_at < ?", (now - FORGET_AFTER_S,))

    def other_servers(self, server_id: str, *, since: float) -> list[Row]:
        """The other servers heard from at or after ``since``: ``id``, ``host``, ``pid``,
        ``seen_at``."""
        return self._all(
            "SELECT id, host, pid, seen_at FROM servers WHERE id != ? AND seen_at >= ?"
            " ORDER BY seen_at",
            (server_id, since),
        )

    def server_stopped(self, server_id: str) -> None:
        """``server_id`` stops: it is not alive any more."""
        with self.transaction() as db:
            db.execute("DELETE FROM servers WHERE id = ?", (server_id,))
