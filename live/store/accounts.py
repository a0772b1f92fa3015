"""The people of an installation: accounts, their personal API tokens and signed-in browsers,
who teaches which class, and the audit log.

Passwords are kept as argon2id hashes (``argon2-cffi``); API tokens, sign-in cookies and links
are random 32-byte values of which only a SHA-256 is kept (a random token needs no slow hash:
no one can guess it from a dictionary). A token is returned once, when it is made.

The first account made is the *owner* of the installation, an admin. Classes made before it
(a laptop used with no account, or a data folder older than accounts) have no teacher: making
the first account gives every such class to it, so the owner keeps every class.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, and_, delete, func, insert, select, update

from live.errors import BadRequest, Conflict, NotFound
from live.store.database import Database, Row
from live.store.tables import api_tokens, class_teachers, classes, logins, users

__all__ = [
    "LOGIN_TTL_S",
    "AccountRecords",
    "UserRole",
    "hash_token",
    "new_token",
    "valid_username",
]

UserRole = Literal["admin", "teacher"]
LOGIN_TTL_S = 12 * 3600.0  # a browser stays signed in for a school day
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_MIN_PASSWORD = 8
_MAX_PASSWORD = 1024  # argon2 hashes any length; a megabyte "password" is an attack
_TOUCH_EVERY_S = 60.0  # a token's last use is written at most this often

_HASHER = PasswordHasher()  # argon2id with the library's current parameters (RFC 9106 low-mem)
# checked against when no such user exists, so a wrong username costs as long as a wrong password
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))

_USER = select(
    users.c.id,
    users.c.username,
    users.c.display_name,
    users.c.role,
    users.c.created_at,
    users.c.disabled_at,
)


def new_token() -> str:
    """A fresh random token: 32 bytes, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """What is kept of ``token``: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def valid_username(username: str) -> str:
    """``username`` as kept (lower case, trimmed); ``BadRequest`` unless it is 1-64 of
    a-z 0-9 . _ - starting with a letter or digit."""
    name = username.strip().lower()
    if not _USERNAME.fullmatch(name):
        raise BadRequest(
            "a username is 1 to 64 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit"
        )
    return name


def _valid_password(password: str) -> str:
    if not _MIN_PASSWORD <= len(password) <= _MAX_PASSWORD:
        raise BadRequest(f"a password is {_MIN_PASSWORD} to {_MAX_PASSWORD} characters long")
    return password


def _valid_display_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise BadRequest("a display name is 1 to 200 characters long")
    return name


class AccountRecords(Database):
    """Accounts, tokens, sign-ins and the teachers of each class."""

    # -- accounts --------------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        password: str,
        *,
        now: float,
        display_name: str | None = None,
        role: UserRole = "teacher",
    ) -> Row:
        """Make an account; the first one is the owner (an admin, whatever ``role`` says) and
        is given every class that has no teacher. ``Conflict`` for a username taken,
        ``BadRequest`` for a bad username, password or role."""
        name = valid_username(username)
        if role not in ("admin", "teacher"):
            raise BadRequest("a role is 'admin' or 'teacher'")
        hashed = _HASHER.hash(_valid_password(password))
        shown = _valid_display_name(display_name if display_name is not None else name)
        with self.transaction() as db:
            if db.execute(select(users.c.id).where(users.c.username == name)).first():
                raise Conflict(f"the username {name!r} is taken")
            first = db.execute(select(func.count()).select_from(users)).scalar_one() == 0
            user_id = db.execute(
                insert(users)
                .values(
                    username=name,
                    display_name=shown,
                    role="admin" if first else role,
                    password_hash=hashed,
                    created_at=now,
                )
                .returning(users.c.id)
            ).scalar_one()
            if first:
                self._give_unowned_classes(db, user_id, now=now)
        return self.get_user(user_id)

    def _give_unowned_classes(self, db: Connection, user_id: int, *, now: float) -> None:
        taught = select(class_teachers.c.class_id).where(class_teachers.c.role == "owner")
        for (class_id,) in db.execute(select(classes.c.id).where(classes.c.id.not_in(taught))):
            db.execute(
                insert(class_teachers).values(
                    class_id=class_id, user_id=user_id, role="owner", added_at=now
                )
            )

    def get_user(self, user_id: int) -> Row:
        """``id``, ``username``, ``display_name``, ``role``, ``created_at``, ``disabled_at``,
        ``owner`` (whether this is the installation's owner); ``NotFound``."""
        row = self._one(_USER.where(users.c.id == user_id))
        if row is None:
            raise NotFound(f"no user {user_id}")
        return self._with_owner(row)

    def find_user(self, username: str) -> Row | None:
        """The account named ``username`` (any case), or None."""
        row = self._one(_USER.where(users.c.username == username.strip().lower()))
        return None if row is None else self._with_owner(row)

    def list_users(self) -> list[Row]:
        """Every account, oldest first (the owner leads)."""
        return [self._with_owner(r) for r in self._all(_USER.order_by(users.c.id))]

    def owner(self) -> Row | None:
        """The installation's owner (the first account), or None while there is no account."""
        row = self._one(_USER.order_by(users.c.id).limit(1))
        return None if row is None else self._with_owner(row)

    def has_users(self) -> bool:
        return self._one(select(users.c.id).limit(1)) is not None

    def _with_owner(self, row: Row) -> Row:
        first = self._one(select(func.min(users.c.id).label("id")))
        return {**row, "owner": first is not None and first["id"] == row["id"]}

    def update_user(
        self,
        user_id: int,
        *,
        now: float,
        display_name: str | None = None,
        role: UserRole | None = None,
        disabled: bool | None = None,
    ) -> Row:
        """Change an account. The owner stays an enabled admin, and so does at least one admin:
        ``Conflict`` otherwise. Disabling an account signs its browsers out and revokes its
        API tokens."""
        user = self.get_user(user_id)
        changes: dict[str, Any] = {}
        if display_name is not None:
            changes["display_name"] = _valid_display_name(display_name)
        if role is not None:
            if role not in ("admin", "teacher"):
                raise BadRequest("a role is 'admin' or 'teacher'")
            changes["role"] = role
        if disabled is not None:
            changes["disabled_at"] = (user["disabled_at"] or now) if disabled else None
        losing_admin = (role == "teacher" or disabled) and user["role"] == "admin"
        if losing_admin and user["owner"]:
            raise Conflict("the owner of the installation stays an admin and enabled")
        with self.transaction() as db:
            if changes:
                db.execute(update(users).where(users.c.id == user_id).values(**changes))
            if disabled:
                self._sign_out_everywhere(db, user_id, now=now, tokens=True)
        return self.get_user(user_id)

    def set_password(self, user_id: int, password: str, *, now: float) -> None:
        """A new password for ``user_id``; every browser signed in as them is signed out."""
        self.get_user(user_id)
        hashed = _HASHER.hash(_valid_password(password))
        with self.transaction() as db:
            db.execute(update(users).where(users.c.id == user_id).values(password_hash=hashed))
            self._sign_out_everywhere(db, user_id, now=now, tokens=False)

    def _sign_out_everywhere(
        self, db: Connection, user_id: int, *, now: float, tokens: bool
    ) -> None:
        db.execute(
            update(logins)
            .where(logins.c.user_id == user_id, logins.c.ended_at.is_(None))
            .values(ended_at=now)
        )
        if tokens:
            db.execute(
                update(api_tokens)
                .where(api_tokens.c.user_id == user_id, api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )

    def check_password(self, username: str, password: str) -> Row | None:
        """The enabled account ``username`` if ``password`` is its password, else None. Takes
        as long for a username that does not exist; upgrades a hash made with older
        parameters."""
        row = self._one(
            select(users.c.id, users.c.password_hash, users.c.disabled_at).where(
                users.c.username == username.strip().lower()
            )
        )
        hashed = _DUMMY_HASH if row is None else str(row["password_hash"])
        try:
            _HASHER.verify(hashed, password[:_MAX_PASSWORD])
        except (VerificationError, InvalidHashError):
            return None
        if row is None or row["disabled_at"] is not None:
            return None
        if _HASHER.check_needs_rehash(hashed):
            with self.transaction() as db:
                db.execute(
                    update(users)
                    .where(users.c.id == row["id"])
                    .values(password_hash=_HASHER.hash(password))
                )
        return self.get_user(int(row["id"]))

    # -- personal API tokens ---------------------------------------------------------------

    def create_api_token(self, user_id: int, name: str, *, now: float) -> tuple[Row, str]:
        """A new personal token of ``user_id``: its row and the token itself (shown once)."""
        self.get_user(user_id)
        name = name.strip()
        if not 1 <= len(name) <= 100:
            raise BadRequest("a token's name is 1 to 100 characters long")
        token = new_token()
        with self.transaction() as db:
            token_id = db.execute(
                insert(api_tokens)
                .values(user_id=user_id, name=name, token_hash=hash_token(token), created_at=now)
                .returning(api_tokens.c.id)
            ).scalar_one()
        return self._api_token(token_id), token

    def _api_token(self, token_id: int) -> Row:
        t = api_tokens.c
        row = self._one(
            select(t.id, t.user_id, t.name, t.created_at, t.last_used_at, t.revoked_at).where(
                t.id == token_id
            )
        )
        if row is None:
            raise NotFound(f"no token {token_id}")
        return row

    def list_api_tokens(self, user_id: int) -> list[Row]:
        """``user_id``'s tokens, revoked ones too, newest first (never the tokens themselves)."""
        t = api_tokens.c
        return self._all(
            select(t.id, t.user_id, t.name, t.created_at, t.last_used_at, t.revoked_at)
            .where(t.user_id == user_id)
            .order_by(t.id.desc())
        )

    def revoke_api_token(self, user_id: int, token_id: int, *, now: float) -> Row:
        """Revoke one of ``user_id``'s tokens; ``NotFound`` for another's."""
        row = self._api_token(token_id)
        if row["user_id"] != user_id:
            raise NotFound(f"no token {token_id}")
        with self.transaction() as db:
            db.execute(
                update(api_tokens)
                .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        return self._api_token(token_id)

    def user_for_api_token(self, token: str, *, now: float) -> Row | None:
        """The enabled account a live personal ``token`` belongs to, or None."""
        t = api_tokens.c
        row = self._one(
            select(t.id, t.user_id, t.last_used_at).where(
                t.token_hash == hash_token(token), t.revoked_at.is_(None)
            )
        )
        if row is None:
            return None
        user = self.get_user(int(row["user_id"]))
        if user["disabled_at"] is not None:
            return None
        if row["last_used_at"] is None or now - row["last_used_at"] >= _TOUCH_EVERY_S:
            with self.transaction() as db:
                db.execute(update(api_tokens).where(t.id == row["id"]).values(last_used_at=now))
        return user

    # -- signed-in browsers ----------------------------------------------------------------

    def start_login(self, user_id: int, *, now: float, ttl: float = LOGIN_TTL_S) -> str:
        """Sign ``user_id`` in: the cookie's value (kept only as a hash)."""
        token = new_token()
        with self.transaction() as db:
            db.execute(
                insert(logins).values(
                    user_id=user_id,
                    token_hash=hash_token(token),
                    created_at=now,
                    expires_at=now + ttl,
                )
            )
            # a sign-in long over is of no use to anyone
            db.execute(delete(logins).where(logins.c.expires_at < now - 30 * 24 * 3600.0))
        return token

    def user_for_login(self, token: str, *, now: float) -> Row | None:
        """The enabled account signed in with cookie value ``token``, or None when it is
        unknown, expired or signed out."""
        row = self._one(
            select(logins.c.user_id).where(
                logins.c.token_hash == hash_token(token),
                logins.c.ended_at.is_(None),
                logins.c.expires_at > now,
            )
        )
        if row is None:
            return None
        user = self.get_user(int(row["user_id"]))
        return None if user["disabled_at"] is not None else user

    def end_login(self, token: str, *, now: float) -> None:
        """Sign the browser holding ``token`` out (nothing when it is unknown)."""
        with self.transaction() as db:
            db.execute(
                update(logins)
                .where(logins.c.token_hash == hash_token(token), logins.c.ended_at.is_(None))
                .values(ended_at=now)
            )

    # -- who teaches which class -----------------------------------------------------------

    def class_teachers(self, class_id: int) -> list[Row]:
        """The teachers of ``class_id``: ``user_id``, ``username``, ``display_name``, ``role``
        (``owner`` or ``coteacher``), ``added_at``; the owner first."""
        ct = class_teachers.c
        return self._all(
            select(ct.user_id, users.c.username, users.c.display_name, ct.role, ct.added_at)
            .join(users, users.c.id == ct.user_id)
            .where(ct.class_id == class_id)
            .order_by((ct.role == "owner").desc(), users.c.username)
        )

    def class_role(self, user_id: int, class_id: int) -> str | None:
        """``owner``, ``coteacher`` or None: what ``user_id`` is on ``class_id``."""
        ct = class_teachers.c
        row = self._one(select(ct.role).where(ct.class_id == class_id, ct.user_id == user_id))
        return None if row is None else str(row["role"])

    def classes_taught(self, user_id: int) -> set[int]:
        """The ids of the classes ``user_id`` owns or co-teaches."""
        rows = self._all(
            select(class_teachers.c.class_id).where(class_teachers.c.user_id == user_id)
        )
        return {int(r["class_id"]) for r in rows}

    def set_class_owner(self, class_id: int, user_id: int, *, now: float) -> list[Row]:
        """Hand ``class_id`` to ``user_id`` (its owner from now on; the previous owner is not
        on the class any more). Returns the class's teachers."""
        self._class_exists(class_id)
        self._enabled(user_id)
        ct = class_teachers.c
        with self.transaction() as db:
            db.execute(delete(class_teachers).where(ct.class_id == class_id, ct.role == "owner"))
            db.execute(delete(class_teachers).where(ct.class_id == class_id, ct.user_id == user_id))
            db.execute(
                insert(class_teachers).values(
                    class_id=class_id, user_id=user_id, role="owner", added_at=now
                )
            )
        return self.class_teachers(class_id)

    def add_coteacher(self, class_id: int, user_id: int, *, now: float) -> list[Row]:
        """Make ``user_id`` a co-teacher of ``class_id``; ``Conflict`` when they are on it."""
        self._class_exists(class_id)
        self._enabled(user_id)
        if self.class_role(user_id, class_id) is not None:
            raise Conflict(f"user {user_id} teaches class {class_id} already")
        with self.transaction() as db:
            db.execute(
                insert(class_teachers).values(
                    class_id=class_id, user_id=user_id, role="coteacher", added_at=now
                )
            )
        return self.class_teachers(class_id)

    def remove_coteacher(self, class_id: int, user_id: int) -> list[Row]:
        """``user_id`` is no longer a co-teacher of ``class_id``; ``NotFound`` when they were
        not one (the owner is changed by ``set_class_owner``)."""
        ct = class_teachers.c
        with self.transaction() as db:
            gone = db.execute(
                delete(class_teachers).where(
                    and_(ct.class_id == class_id, ct.user_id == user_id, ct.role == "coteacher")
                )
            ).rowcount
        if not gone:
            raise NotFound(f"user {user_id} is not a co-teacher of class {class_id}")
        return self.class_teachers(class_id)

    def claim_class(self, class_id: int, user_id: int, *, now: float) -> None:
        """Make ``user_id`` the owner of ``class_id`` if it has none (a class just made)."""
        ct = class_teachers.c
        with self.transaction() as db:
            owned = db.execute(
                select(ct.user_id).where(ct.class_id == class_id, ct.role == "owner")
            ).first()
            if owned is None:
                db.execute(
                    delete(class_teachers).where(ct.class_id == class_id, ct.user_id == user_id)
                )
                db.execute(
                    insert(class_teachers).values(
                        class_id=class_id, user_id=user_id, role="owner", added_at=now
                    )
                )

    def _class_exists(self, class_id: int) -> None:
        if self._one(select(classes.c.id).where(classes.c.id == class_id)) is None:
            raise NotFound(f"no class {class_id}")

    def _enabled(self, user_id: int) -> None:
        if self.get_user(user_id)["disabled_at"] is not None:
            raise Conflict(f"user {user_id} is disabled")
