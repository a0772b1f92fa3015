"""Who is calling: tokens, accounts, sign-in cookies, and what each may reach.

Ways in, checked in this order:

- a token, as ``Authorization: Bearer <token>`` or, for pages and WebSockets that cannot set
  headers, as ``?token=``: the installation's owner token (``--token``, ``CARDCHECK_TOKEN``, or
  the one kept in the data folder), the data folder's projector token, or a personal API token
  of an account. A token that is none of these is refused (401), whatever cookie comes with it.
- the sign-in cookie (``cardcheck_login``), set by the login page or by the owner link. On a
  laptop with no account the owner link's cookie is an HMAC of the owner token, so it signs the
  owner in with nothing stored; an account's cookie names a row of ``logins``.

A caller is ``admin`` (every class, and the accounts: the owner token and cookie, and accounts
with the admin role), a ``user`` who sees the classes they own or co-teach, or a projector (read
only). Comparison of secrets is constant-time; tokens are looked up by their hash.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from live.errors import Forbidden, Unauthorized
from live.session import Role

__all__ = [
    "COOKIE",
    "Caller",
    "Role",
    "Tokens",
    "authenticate",
    "bearer",
    "class_access",
    "is_owner_cookie",
    "owner_cookie",
    "session_access",
]

COOKIE = "cardcheck_login"
_OWNER_COOKIE = "owner."


@dataclass(frozen=True)
class Tokens:
    teacher: str
    projector: str

    def role(self, token: str | None) -> Role | None:
        """The role ``token`` grants, or None."""
        if not token:
            return None
        if hmac.compare_digest(token.encode(), self.teacher.encode()):
            return "teacher"
        if hmac.compare_digest(token.encode(), self.projector.encode()):
            return "projector"
        return None

    def from_request(self, headers: Mapping[str, str], query: Mapping[str, str]) -> Role | None:
        return self.role(bearer(headers, query))

    def require(
        self, headers: Mapping[str, str], query: Mapping[str, str], *, teacher: bool
    ) -> Role:
        """The caller's role; ``Unauthorized`` without a valid token, ``Forbidden`` for a
        projector token where the teacher's is needed."""
        role = self.from_request(headers, query)
        if role is None:
            raise Unauthorized("a valid token is required (Authorization: Bearer <token>)")
        if teacher and role != "teacher":
            raise Forbidden("the projector token can only read the projector's view")
        return role


def bearer(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The token a request carries (``Authorization: Bearer`` first, then ``?token=``)."""
    header = headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    token = value.strip() if scheme.lower() == "bearer" else None
    return token or query.get("token") or None


def owner_cookie(owner_token: str) -> str:
    """The cookie value the owner link sets: bound to the owner token, so a new token (a new
    ``--token``) signs every browser out."""
    mac = hmac.new(owner_token.encode(), b"cardcheck owner sign-in", hashlib.sha256).hexdigest()
    return _OWNER_COOKIE + mac


def is_owner_cookie(value: str, owner_token: str) -> bool:
    return value.startswith(_OWNER_COOKIE) and hmac.compare_digest(
        value.encode(), owner_cookie(owner_token).encode()
    )


@dataclass(frozen=True)
class Caller:
    """The signed-in party of one request or socket.

    ``role`` is the view of a session they get (``teacher`` or ``projector``); ``admin`` reaches
    every class and the accounts; ``user`` is their account (None for the owner of a laptop with
    no account, and for projectors); ``link`` is the scoped link they came with (its ``kind``,
    ``class_id`` and ``session_id``); ``cookie`` says they came by the sign-in cookie (so a
    write must come from this site: see ``live.http.api``); ``login`` is that cookie's value.
    """

    role: Role
    how: str  # "owner token", "owner link", "api token", "login", "projector token", "link"
    admin: bool = False
    user: dict[str, Any] | None = None
    link: dict[str, Any] | None = None
    cookie: bool = False
    login: str | None = None

    @property
    def name(self) -> str:
        """Who, in words: the username, or how they came in."""
        return str(self.user["username"]) if self.user is not None else self.how

    @property
    def user_id(self) -> int | None:
        return None if self.user is None else int(self.user["id"])

    def me(self) -> dict[str, Any]:
        """What ``GET /api/me`` says of the caller."""
        user = None
        if self.user is not None:
            user = {k: self.user[k] for k in ("id", "username", "display_name", "role", "owner")}
        scope = None
        if self.link is not None:
            scope = {
                "kind": self.link["kind"],
                "class_id": self.link["class_id"],
                "session_id": self.link["session_id"],
            }
        return {
            "role": self.role,
            "admin": self.admin,
            "via": self.how,
            "user": user,
            "link": scope,
        }


async def authenticate(
    state: Any, headers: Mapping[str, str], query: Mapping[str, str], cookies: Mapping[str, str]
) -> Caller | None:
    """The caller of a request or handshake, or None when it carries no credential.
    ``Unauthorized`` for a token or cookie that is no longer (or never was) good.

    ``state`` is the app's state: ``tokens``, ``calls`` (the store off the event loop) and
    ``clock`` (``state.sessions.clock``)."""
    tokens: Tokens = state.tokens
    calls = state.calls
    now = state.sessions.clock()
    token = bearer(headers, query)
    if token is not None:
        granted = tokens.role(token)
        if granted == "teacher":
            return Caller("teacher", "owner token", admin=True, user=await calls.owner())
        if granted == "projector":
            return Caller("projector", "projector token")
        user = await calls.user_for_api_token(token, now=now)
        if user is not None:
            return Caller("teacher", "api token", admin=user["role"] == "admin", user=user)
        link = await calls.link_for(token, now=now)
        if link is not None and link["kind"] != "pairing":  # a code is traded, never used
            # a scanner sees the session as the teacher holding the phone does (names on the
            # cards it reads) but, being a link, calls no teacher endpoint (live.http.api)
            role: Role = "teacher" if link["kind"] == "scanner" else "projector"
            return Caller(role, f"{link['kind']} link", link=link)
        raise Unauthorized("this token is not valid here (revoked, expired, or never made)")
    value = cookies.get(COOKIE)
    if not value:
        return None
    if is_owner_cookie(value, tokens.teacher):
        owner = await calls.owner()
        return Caller("teacher", "owner link", admin=True, user=owner, cookie=True, login=value)
    user = await calls.user_for_login(value, now=now)
    if user is None:
        raise Unauthorized("you are signed out: sign in again")
    admin = user["role"] == "admin"
    return Caller("teacher", "login", admin=admin, user=user, cookie=True, login=value)


async def class_access(state: Any, caller: Caller, class_id: int) -> str | None:
    """What ``caller`` is on ``class_id``: ``admin`` (every class), ``owner``, ``coteacher``,
    ``projector`` (the data folder's projector token: every class on a laptop, the owner's
    classes once there are accounts), ``link`` (a link of this class), or None (the class is not theirs: it answers 404, as if it did not exist)."""
    if caller.admin:
        return "admin"
    if caller.link is not None:
        return "link" if caller.link["class_id"] == class_id else None
    if caller.how == "projector token":
        # the data folder's projector token is the owner's: once there are accounts, it reads
        # the owner's own classes only (a laptop's links carry on; a school's rooms get links)
        owner = await state.calls.owner()
        if owner is None:
            return "projector"
        taught = await state.calls.class_role(int(owner["id"]), class_id)
        return "projector" if taught is not None else None
    if caller.user is None:
        return None
    role: str | None = await state.calls.class_role(int(caller.user["id"]), class_id)
    return role


async def session_access(state: Any, caller: Caller, session: Mapping[str, Any]) -> str | None:
    """``class_access`` for the class of ``session`` (a row of ``get_session``); a link scoped
    to one session reaches that session only, and a link of a class its live session only."""
    access = await class_access(state, caller, int(session["class_id"]))
    if access == "link" and caller.link is not None:
        scoped = caller.link["session_id"]
        if scoped is not None and scoped != session["id"]:
            return None
        if scoped is None and not session.get("live"):
            return None
    return access
