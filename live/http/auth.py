"""Tokens and roles.

The teacher token sees and does everything; the projector token reads only what the projector
shows. Tokens come as ``Authorization: Bearer <token>`` or, for pages and WebSockets that cannot
set headers, as ``?token=``. Comparison is constant-time.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from live.errors import Forbidden, Unauthorized
from live.session import Role

__all__ = ["Role", "Tokens"]


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
        header = headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        token = value.strip() if scheme.lower() == "bearer" else None
        return self.role(token or query.get("token"))

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
