"""Links scoped to one session, or to one class's live session: what a page shown in a room
carries instead of a teacher's credential.

- ``projector``: reads one session (or whichever session is live for the class), as the
  projector sees it; lasts until revoked or until its class is archived or purged.
- ``pairing``: the short-lived code a QR shows; a phone trades it once for a scanner credential.
- ``scanner``: sends frames to one session, and reads that session's scanner view; it lasts
  the school day (``SCANNER_TTL_S``) unless revoked.

Only a SHA-256 of each token is kept; the token is returned once, when the link is made.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import insert, select, update

from live.errors import BadRequest, Conflict, NotFound
from live.store.accounts import hash_token, new_token
from live.store.database import Database, Row
from live.store.tables import classes, links, sessions

__all__ = ["PAIRING_TTL_S", "SCANNER_TTL_S", "LinkKind", "LinkRecords"]

LinkKind = Literal["projector", "scanner", "pairing"]
PAIRING_TTL_S = 10 * 60.0  # a QR on the console is scanned within minutes
SCANNER_TTL_S = 12 * 3600.0

_LINK = select(
    links.c.id,
    links.c.kind,
    links.c.class_id,
    links.c.session_id,
    links.c.created_by,
    links.c.created_at,
    links.c.expires_at,
    links.c.revoked_at,
)


class LinkRecords(Database):
    """Scoped links: made, looked up by token, listed, revoked."""

    def create_link(
        self,
        kind: LinkKind,
        *,
        class_id: int,
        session_id: int | None = None,
        created_by: int | None = None,
        now: float,
        ttl: float | None = None,
    ) -> tuple[Row, str]:
        """A new link of ``class_id`` (one session of it when ``session_id`` is given; scanner
        and pairing links always name one): its row and its token, shown once. ``NotFound``
        for an unknown class or a session of another class, ``Conflict`` for an archived class
        or a session ended."""
        if kind not in ("projector", "scanner", "pairing"):
            raise BadRequest("a link is a projector, scanner or pairing link")
        if kind != "projector" and session_id is None:
            raise BadRequest(f"a {kind} link names its session")
        cls = self._one(select(classes.c.archived_at).where(classes.c.id == class_id))
        if cls is None:
            raise NotFound(f"no class {class_id}")
        if cls["archived_at"] is not None:
            raise Conflict(f"class {class_id} is archived")
        if session_id is not None:
            s = self._one(
                select(sessions.c.class_id, sessions.c.ended_at).where(sessions.c.id == session_id)
            )
            if s is None or s["class_id"] != class_id:
                raise NotFound(f"no session {session_id} in class {class_id}")
            if kind != "projector" and s["ended_at"] is not None:
                raise Conflict(f"session {session_id} has ended")
        if ttl is None:
            ttl = {"pairing": PAIRING_TTL_S, "scanner": SCANNER_TTL_S}.get(kind)
        token = new_token()
        with self.transaction() as db:
            link_id = db.execute(
                insert(links)
                .values(
                    kind=kind,
                    class_id=class_id,
                    session_id=session_id,
                    token_hash=hash_token(token),
                    created_by=created_by,
                    created_at=now,
                    expires_at=None if ttl is None else now + ttl,
                )
                .returning(links.c.id)
            ).scalar_one()
        return self.get_link(link_id), token

    def get_link(self, link_id: int) -> Row:
        row = self._one(_LINK.where(links.c.id == link_id))
        if row is None:
            raise NotFound(f"no link {link_id}")
        return row

    def link_for(self, token: str, *, now: float, kind: LinkKind | None = None) -> Row | None:
        """The live link ``token`` opens (not revoked, not expired, its class not archived),
        or None."""
        query = (
            _LINK.join(classes, classes.c.id == links.c.class_id)
            .where(links.c.token_hash == hash_token(token), links.c.revoked_at.is_(None))
            .where(classes.c.archived_at.is_(None))
        )
        row = self._one(query)
        if row is None or (kind is not None and row["kind"] != kind):
            return None
        if row["expires_at"] is not None and row["expires_at"] <= now:
            return None
        return row

    def use_pairing(self, token: str, *, now: float) -> tuple[Row, str] | None:
        """Trade a live pairing code for a scanner credential of its session (the code is
        spent: a second phone needs a new one). None for a code not live."""
        with self.transaction() as db:
            pairing = self.link_for(token, now=now, kind="pairing")
            if pairing is None:
                return None
            spent = db.execute(
                update(links)
                .where(links.c.id == pairing["id"], links.c.revoked_at.is_(None))
                .values(revoked_at=now)
            ).rowcount
            if spent != 1:  # another phone traded it first
                return None
            return self.create_link(
                "scanner",
                class_id=pairing["class_id"],
                session_id=pairing["session_id"],
                created_by=pairing["created_by"],
                now=now,
            )

    def list_links(self, class_id: int, *, kind: LinkKind | None = None) -> list[Row]:
        """The links of ``class_id`` not revoked, newest first (never their tokens)."""
        query = _LINK.where(links.c.class_id == class_id, links.c.revoked_at.is_(None))
        if kind is not None:
            query = query.where(links.c.kind == kind)
        return self._all(query.order_by(links.c.id.desc()))

    def revoke_link(self, link_id: int, *, now: float) -> Row:
        """The link stops working at once."""
        self.get_link(link_id)
        with self.transaction() as db:
            db.execute(
                update(links)
                .where(links.c.id == link_id, links.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        return self.get_link(link_id)
