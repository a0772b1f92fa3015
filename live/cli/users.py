"""``cardcheck users add|list|passwd|disable``: the accounts of a school's server.

A laptop needs none (the owner link signs its owner in); the first account made is the owner of
the installation, an admin, and keeps every class made before it. Passwords are asked for twice
on a terminal, or read from the first line of standard input with ``--password-stdin`` (scripts);
they never appear in the arguments, where other users of the machine could read them.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from typing import Any

from live.errors import CardcheckError

__all__ = ["add_users_parser"]


def _password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        print("the two passwords differ; nothing changed", file=sys.stderr)
        return None
    return first


def _open(args: argparse.Namespace) -> Any:
    from live.cli import _settings
    from live.http.app import open_store

    return open_store(_settings(args))


def _user(store: Any, username: str) -> dict[str, Any] | None:
    user = store.find_user(username)
    if user is None:
        print(f"no user {username!r} (cardcheck users list)", file=sys.stderr)
    return user  # type: ignore[no-any-return]


def cmd_add(args: argparse.Namespace) -> int:
    password = _password(args)
    if password is None:
        return 1
    store = _open(args)
    try:
        first = not store.has_users()
        user = store.add_user(
            args.username,
            password,
            display_name=args.name,
            role=args.role,
            now=time.time(),
        )
        print(f"added {user['username']} ({user['display_name']}), {user['role']}")
        if first:
            print("the first account is the owner of this server: an admin with every class")
        return 0
    except CardcheckError as exc:
        print(f"cardcheck users add: {exc.message}", file=sys.stderr)
        return 1
    finally:
        store.close()


def cmd_list(args: argparse.Namespace) -> int:
    store = _open(args)
    try:
        people = store.list_users()
    finally:
        store.close()
    if not people:
        print("no accounts yet: the owner link that `cardcheck serve` prints signs the owner in")
        return 0
    width = max(len(u["username"]) for u in people)
    for u in people:
        notes = [u["role"]]
        if u["owner"]:
            notes.append("owner")
        if u["disabled_at"] is not None:
            notes.append("disabled")
        print(f"{u['username']:<{width}}  {u['display_name']}  ({', '.join(notes)})")
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    store = _open(args)
    try:
        user = _user(store, args.username)
        if user is None:
            return 1
        password = _password(args)
        if password is None:
            return 1
        store.set_password(user["id"], password, now=time.time())
        print(f"new password for {user['username']}; their browsers are signed out")
        return 0
    except CardcheckError as exc:
        print(f"cardcheck users passwd: {exc.message}", file=sys.stderr)
        return 1
    finally:
        store.close()


def cmd_disable(args: argparse.Namespace) -> int:
    store = _open(args)
    try:
        user = _user(store, args.username)
        if user is None:
            return 1
        store.update_user(user["id"], disabled=not args.enable, now=time.time())
        if args.enable:
            print(f"{user['username']} can sign in again")
        else:
            print(f"{user['username']} is disabled: signed out, their API tokens revoked")
        return 0
    except CardcheckError as exc:
        print(f"cardcheck users disable: {exc.message}", file=sys.stderr)
        return 1
    finally:
        store.close()


def add_users_parser(sub: Any) -> None:
    from live.cli import DATA_DIR_HELP, DB_HELP

    p = sub.add_parser("users", help="accounts of a school's server (a laptop needs none)")
    usub = p.add_subparsers(dest="users_command", required=True)

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("--db", help=DB_HELP)
        q.add_argument("--data-dir", dest="data_dir", help=DATA_DIR_HELP)

    def stdin_flag(q: argparse.ArgumentParser) -> None:
        q.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input",
        )

    q = usub.add_parser("add", help="add an account (the first one is the owner, an admin)")
    q.add_argument("username", help="what they sign in with: a-z, 0-9, '.', '_', '-'")
    q.add_argument("--name", help="the name shown to others (default: the username)")
    q.add_argument(
        "--role",
        choices=("teacher", "admin"),
        default="teacher",
        help="teacher (their own classes) or admin (the people too); default teacher",
    )
    stdin_flag(q)
    common(q)
    q.set_defaults(func=cmd_add)

    q = usub.add_parser("list", help="list the accounts")
    common(q)
    q.set_defaults(func=cmd_list)

    q = usub.add_parser("passwd", help="set an account's password (signs its browsers out)")
    q.add_argument("username", help="the account whose password is set")
    stdin_flag(q)
    common(q)
    q.set_defaults(func=cmd_passwd)

    q = usub.add_parser("disable", help="stop an account signing in (and revoke its tokens)")
    q.add_argument("username", help="the account to disable (or enable)")
    q.add_argument("--enable", action="store_true", help="let a disabled account sign in again")
    common(q)
    q.set_defaults(func=cmd_disable)
