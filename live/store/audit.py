"""Who did what, when: the audit log an admin reads and exports.

Rows carry ids and usernames only, never a student's name (``detail`` is JSON of ids and
short words), so purging a class leaves nothing personal here; the class id stays, to say
that something happened to a class since purged.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import insert, select

from live.store.database import Database, Row
from live.store.tables import audit

__all__ = ["AuditRecords"]


class AuditRecords(Database):
    """The audit log: written by every command a person makes, read by admins."""

    def record_audit(
        self,
        actor: str,
        action: str,
        *,
        now: float,
        user_id: int | None = None,
        class_id: int | None = None,
        session_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Record that ``actor`` (a username, or how they came in: "owner link") did
        ``action`` (``session.started``, ``user.created`` ...)."""
        with self.transaction() as db:
            db.execute(
                insert(audit).values(
                    at=now,
                    user_id=user_id,
                    actor=actor[:200],
                    action=action,
                    class_id=class_id,
                    session_id=session_id,
                    detail=json.dumps(detail or {}, sort_keys=True, default=str),
                )
            )

    def audit_log(self, *, limit: int = 1000, before: int | None = None) -> list[Row]:
        """The newest ``limit`` rows (older than row ``before`` when given): ``id``, ``at``,
        ``actor``, ``action``, ``class_id``, ``session_id``, ``detail`` (an object)."""
        a = audit.c
        query = select(a.id, a.at, a.actor, a.action, a.class_id, a.session_id, a.detail)
        if before is not None:
            query = query.where(a.id < before)
        rows = self._all(query.order_by(a.id.desc()).limit(limit))
        return [{**r, "detail": json.loads(r["detail"])} for r in rows]
