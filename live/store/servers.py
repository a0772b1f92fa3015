"""The server processes sharing this store, each saying now and then that it is alive.

A server that starts while another one is alive (several workers on one database) must not take
that one's sessions for abandoned; a server that starts alone finds the sessions it did not end
interrupted (``live.realtime.lifecycle``). Rows of servers long gone are pruned.
"""

from __future__ import annotations

from live.store.database import Database

__all__ = ["ServerRecords"]

FORGET_AFTER_S = 7 * 24 * 3600.0  # a row this old belongs to a server that will not come back


class ServerRecords(Database):
    """Heartbeats of the processes serving this store."""

    def server_seen(self, server_id: str, *, now: float) -> None:
        """Record that ``server_id`` is alive at ``now`` (its first call registers it)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO servers(id, started_at, seen_at) VALUES (?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET seen_at = excluded.seen_at",
                (server_id, now, now),
            )
            db.execute("DELETE FROM servers WHERE seen_at < ?", (now - FORGET_AFTER_S,))

    def other_servers_alive(self, server_id: str, *, since: float) -> int:
        """How many other servers were seen alive at or after ``since``."""
        row = self._one(
            "SELECT count(*) AS n FROM servers WHERE id != ? AND seen_at >= ?", (server_id, since)
        )
        return 0 if row is None else int(row["n"])

    def server_stopped(self, server_id: str) -> None:
        """``server_id`` stops: it is not alive any more."""
        with self.transaction() as db:
            db.execute("DELETE FROM servers WHERE id = ?", (server_id,))
