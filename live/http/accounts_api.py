"""Signing in and out, one's own account and tokens, the accounts (admins), and who teaches a
class. Registered with ``live.http.api.endpoint`` on import, like the other API modules.

The sign-in cookie is HttpOnly (no script reads it), ``SameSite=Strict`` (no other site's page
sends it), and ``Secure`` when the server is reached over https. Writes signed by the cookie
must come from this server's pages (``Origin``, checked in ``live.http.api``); the login itself
too, so no other site can sign a browser into an account of its choosing. Failed sign-ins slow
the next ones, per account and per address (``live.http.throttle``).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from live.errors import Conflict, Forbidden, TooManyRequests, Unauthorized
from live.http import bodies
from live.http.api import Call, endpoint, now
from live.http.params import Choice
from live.realtime.access import COOKIE, owner_cookie
from live.realtime.sockets import origin_allowed
from live.store.accounts import LOGIN_TTL_S

__all__ = ["owner_signin", "set_login_cookie"]


def _secure(request: Request) -> bool:
    settings = request.app.state.settings
    public = (settings.public_url or "").startswith("https:")
    return bool(settings.https or settings.certfile or public or request.url.scheme == "https")


def set_login_cookie(response: Response, request: Request, value: str) -> None:
    """Put the sign-in cookie ``value`` on ``response``."""
    response.set_cookie(
        COOKIE,
        value,
        max_age=int(LOGIN_TTL_S),
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# -- signing in and out ------------------------------------------------------------------------


@endpoint(
    "POST",
    "/login",
    "Sign in with a username and password: sets the sign-in cookie (429 after failures)",
    body=bodies.LoginBody,
    public=True,
)
async def login(call: Call) -> Any:
    request = call.request
    state = request.app.state
    if not origin_allowed(request.headers, state.settings):
        raise Forbidden("sign in on this server's own login page", code="cross_site")
    username = call.body["username"].strip().lower()
    keys = [f"user:{username}", f"addr:{_address(request)}"]
    wait = state.throttle.retry_after(keys, now=now())
    if wait > 0:
        raise TooManyRequests(f"too many failed sign-ins: try again in {wait} s", retry_after=wait)
    user = await call.db.check_password(username, call.body["password"])
    if user is None:
        state.throttle.failed(keys, now=now())
        raise Unauthorized("wrong username or password, or the account is disabled")
    state.throttle.succeeded(keys)
    cookie = await call.db.start_login(user["id"], now=now())
    await call.db.record_audit(user["username"], "account.signed_in", user_id=user["id"], now=now())
    response = JSONResponse({"user": _public(user)})
    set_login_cookie(response, request, cookie)
    return response


@endpoint(
    "POST", "/logout", "Sign out: ends the sign-in and clears the cookie", public=True, status=204
)
async def logout(call: Call) -> Any:
    request = call.request
    if not origin_allowed(request.headers, request.app.state.settings):
        raise Forbidden("sign out on this server's own pages", code="cross_site")
    value = request.cookies.get(COOKIE)
    if value:
        await call.db.end_login(value, now=now())
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


async def owner_signin(request: Request) -> Response:
    """``/signin?token=T``: the link ``cardcheck serve`` prints. The owner token signs the
    owner in (like a notebook server's link) and goes on to ``next`` (a path on this server,
    the console by default); any other token goes to the login page."""
    state = request.app.state
    target = request.query_params.get("next", "/teacher/")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = "/teacher/"
    if state.tokens.role(request.query_params.get("token")) != "teacher":
        return RedirectResponse(f"/login/?next={quote(target)}&error=link", status_code=303)
    owner = await state.calls.owner()
    if owner is None:
        value = owner_cookie(state.tokens.teacher)  # no account: bound to the owner token
    else:
        value = await state.calls.start_login(owner["id"], now=now())
    response = RedirectResponse(target, status_code=303)
    set_login_cookie(response, request, value)
    return response


# -- one's own account -------------------------------------------------------------------------


def _public(user: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "username", "display_name", "role", "owner", "created_at", "disabled_at")
    return {k: user[k] for k in keys}


def _account(call: Call) -> int:
    user_id = call.who.user_id
    if user_id is None:
        raise Conflict(
            "the owner link has no account yet: make one with `cardcheck users add`",
            code="no_account",
        )
    return user_id


@endpoint("GET", "/account/tokens", "Your personal API tokens (never the tokens themselves)")
async def list_tokens(call: Call) -> Any:
    return await call.db.list_api_tokens(_account(call))


@endpoint(
    "POST",
    "/account/tokens",
    "Make a personal API token (Bearer): the answer carries it, once",
    body=bodies.TokenBody,
    status=201,
)
async def create_token(call: Call) -> Any:
    user_id = _account(call)
    row, token = await call.db.create_api_token(user_id, call.body["name"], now=now())
    return {**row, "token": token}


@endpoint("DELETE", "/account/tokens/{token_id}", "Revoke one of your API tokens")
async def revoke_token(call: Call) -> Any:
    user_id = _account(call)
    row = await call.db.revoke_api_token(user_id, call.params["token_id"], now=now())
    return row


@endpoint(
    "PUT",
    "/account/password",
    "Change your password (your other browsers are signed out)",
    body=bodies.PasswordBody,
    status=204,
)
async def change_password(call: Call) -> Any:
    user_id = _account(call)
    user = await call.db.get_user(user_id)
    current = call.body.get("current") or ""
    if await call.db.check_password(user["username"], current) is None:
        raise Forbidden("your current password is not right")
    await call.db.set_password(user_id, call.body["password"], now=now())


# -- the accounts (admins) ---------------------------------------------------------------------


@endpoint("GET", "/users", "Every account (admins)", admin=True)
async def list_users(call: Call) -> Any:
    return [_public(u) for u in await call.db.list_users()]


@endpoint(
    "POST", "/users", "Make an account (admins)", body=bodies.UserBody, status=201, admin=True
)
async def create_user(call: Call) -> Any:
    b = call.body
    user = await call.db.add_user(
        b["username"],
        b["password"],
        display_name=b.get("display_name"),
        role=b.get("role", "teacher"),
        now=now(),
    )
    return _public(user)


@endpoint("GET", "/users/{user_id}", "An account (admins)", admin=True)
async def get_user(call: Call) -> Any:
    return _public(await call.db.get_user(call.params["user_id"]))


@endpoint(
    "PATCH",
    "/users/{user_id}",
    "Rename, change the role of, disable or enable an account (admins)",
    body=bodies.UserPatch,
    admin=True,
)
async def update_user(call: Call) -> Any:
    user = await call.db.update_user(call.params["user_id"], now=now(), **call.body)
    return _public(user)


@endpoint(
    "PUT",
    "/users/{user_id}/password",
    "Set an account's password (admins; signs its browsers out)",
    body=bodies.PasswordBody,
    status=204,
    admin=True,
)
async def set_user_password(call: Call) -> Any:
    user = await call.db.get_user(call.params["user_id"])
    await call.db.set_password(user["id"], call.body["password"], now=now())


# -- who teaches a class -----------------------------------------------------------------------


async def _person(call: Call, username: str) -> dict[str, Any]:
    user = await call.db.find_user(username)
    if user is None or user["disabled_at"] is not None:
        raise Conflict(
            f"no account {username!r} can teach (unknown or disabled)", code="unknown_id"
        )
    return dict(user)


@endpoint("GET", "/classes/{class_id}/teachers", "The class's owner and co-teachers")
async def list_teachers(call: Call) -> Any:
    return await call.db.class_teachers(call.params["class_id"])


@endpoint(
    "POST",
    "/classes/{class_id}/teachers",
    "Add a co-teacher by username (the class's owner or an admin)",
    body=bodies.TeacherBody,
    status=201,
    owner=True,
)
async def add_teacher(call: Call) -> Any:
    class_id = call.params["class_id"]
    person = await _person(call, call.body["username"])
    rows = await call.db.add_coteacher(class_id, person["id"], now=now())
    return rows


@endpoint(
    "DELETE",
    "/classes/{class_id}/teachers/{user_id}",
    "Take a co-teacher off the class (the class's owner or an admin)",
    owner=True,
)
async def remove_teacher(call: Call) -> Any:
    class_id = call.params["class_id"]
    person = await call.db.get_user(call.params["user_id"])
    rows = await call.db.remove_coteacher(class_id, person["id"])
    return rows


@endpoint(
    "PUT",
    "/classes/{class_id}/owner",
    "Hand the class to another teacher (its owner or an admin; the owner leaves the class)",
    body=bodies.OwnerBody,
    owner=True,
)
async def hand_over(call: Call) -> Any:
    class_id = call.params["class_id"]
    person = await _person(call, call.body["username"])
    rows = await call.db.set_class_owner(class_id, person["id"], now=now())
    return rows


# -- the audit log (admins) --------------------------------------------------------------------


@endpoint(
    "GET",
    "/audit",
    "Who did what, when: the newest 1000 first (admins); format=csv to download",
    admin=True,
    query={"format": Choice("json (the default) or csv", options=("json", "csv"))},
    produces=("application/json", "text/csv"),
)
async def audit_log(call: Call) -> Any:
    rows = await call.db.audit_log()
    if call.query("format") != "csv":
        return rows
    out = io.StringIO()
    fields = ["id", "at", "actor", "action", "class_id", "session_id", "detail"]
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    for r in rows:
        at = datetime.fromtimestamp(r["at"], UTC).isoformat(timespec="seconds")
        writer.writerow({**r, "at": at, "detail": json.dumps(r["detail"], sort_keys=True)})
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="cardcheck-audit.csv"'},
    )
