"""The server processes sharing this store, each saying now and then that it is alive.

A server that starts while another one is alive (several workers on one database) must not take
that one's sessions for abandoned; a server that starts alone finds the sessions it did not end
interrupted (``live.realtime.lifecycle``). Each row names its machine and process id, so that a
server on the same machine can tell a crashed one from a live one at once. Rows of servers long
gone are pruned.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from live.store.database import Database, Row
from live.store.tables import servers

__all__ = ["ServerRecords"]

FORGET_AFTER_S = 7 * 24 * 3600.0  # a row this old belongs to a server that will not come back


class ServerRecords(Database):
    """Heartbeats of the processes serving this store."""

    def server_seen(self, server_id: str, *, host: str, pid: int, now: float) -> None:
        """Record that ``server_id`` (process ``pid`` on ``host``) is alive at ``now``; its first
        call registers it."""
        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        statement = insert(servers).values(
            id=server_id, host=host, pid=pid, started_at=now, seen_at=now
        )
        with self.transaction() as db:
            db.execute(
                statement.on_conflict_do_update(
                    index_elements=[servers.c.id], set_={"seen_at": statement.excluded.seen_at}
                )
            )
            db.execute(delete(servers).where(servers.c.seen_at < now - FORGET_AFTER_S))

    def other_servers(self, server_id: str, *, since: float) -> list[Row]:
        """The other servers heard from at or after ``since``: ``id``, ``host``, ``pid``,
        ``seen_at``."""
        s = servers.c
        return self._all(
            select(s.id, s.host, s.pid, s.seen_at)
            .where(s.id != server_id, s.seen_at >= since)
            .order_by(s.seen_at)
        )

    def server_stopped(self, server_id: str) -> None:
        """``server_id`` stops: it is not alive any more."""
        with self.transaction() as db:
            db.execute(delete(servers).where(servers.c.id == server_id))
