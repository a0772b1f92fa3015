"""``cardcheck copy``: move an installation's data between databases, and check the move.

::

    cardcheck copy --from SOURCE --to TARGET

SOURCE and TARGET are each an SQLite file or a ``postgresql://`` URL (a laptop's file to a
school's PostgreSQL, and back). The target is migrated first and must hold no data. After the
copy, two checks: every table has as many rows in the target as in the source, and every class
exports (JSON, every session and answer) exactly the same from both. Exit status 0 only when
both hold.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC
from typing import Any

__all__ = ["add_copy_parser", "cmd_copy"]


def add_copy_parser(sub: Any) -> None:
    """Add the ``copy`` subcommand to the CLI's subparsers."""
    p = sub.add_parser(
        "copy", help="copy all data to another database (SQLite <-> PostgreSQL), then check it"
    )
    p.add_argument("--from", dest="source", required=True, help="SQLite file or postgresql://...")
    p.add_argument("--to", dest="target", required=True, help="SQLite file or postgresql://...")
    p.set_defaults(func=cmd_copy)


def cmd_copy(args: argparse.Namespace) -> int:
    from live.errors import Conflict
    from live.reports.export import json_export
    from live.reports.report import read_class
    from live.store import Store
    from live.store.transfer import copy_all, row_counts

    if args.source == args.target:
        print("cardcheck copy: --from and --to are the same database", file=sys.stderr)
        return 2
    source = Store(args.source)
    try:
        target = Store(args.target)
    except BaseException:
        source.close()
        raise
    try:
        try:
            copied = copy_all(source, target)
        except Conflict as exc:
            print(f"cardcheck copy: {exc.message}", file=sys.stderr)
            return 1
        before, after = row_counts(source), row_counts(target)
        print(f"copied {source.describe()} -> {target.describe()}")
        print(f"  {'table':<20} {'source':>8} {'target':>8}")
        for name, n in before.items():
            mark = "" if after[name] == n == copied[name] else "  MISMATCH"
            print(f"  {name:<20} {n:>8} {after[name]:>8}{mark}")
        counts_ok = before == after
        classes = source.list_classes(include_archived=True)
        differ = [
            c["name"]
            for c in classes
            if json_export(read_class(source, c["id"], tz=UTC), tz=UTC)
            != json_export(read_class(target, c["id"], tz=UTC), tz=UTC)
        ]
        print(
            f"check: row counts {'equal' if counts_ok else 'DIFFER'}; "
            f"{len(classes) - len(differ)} of {len(classes)} class export(s) identical"
            + (f" (differ: {', '.join(differ)})" if differ else "")
        )
        return 0 if counts_ok and not differ else 1
    finally:
        source.close()
        target.close()
