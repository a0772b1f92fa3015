"""``cardcheck export``: write a session, a class over dates, or a question set to a file.

::

    cardcheck export (--session ID | --class NAME [--from D] [--to D] | --set ID)
                     --format csv|long|xlsx|json|canvas|oneroster --out FILE [--tz ZONE]
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from live.reports.export import FORMATS, export
from live.reports.report import ReportData, read_class, read_session, read_set

__all__ = ["add_export_parser", "cmd_export"]


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a date like 2024-09-02") from None


def add_export_parser(sub: Any) -> None:
    """Add the ``export`` subcommand to the CLI's subparsers."""
    p = sub.add_parser("export", help="export results: scoresheet, responses, XLSX, gradebooks")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--session", type=int, help="one session, by id")
    which.add_argument("--class", dest="class_name", help="a class, by name")
    which.add_argument("--set", dest="set_id", type=int, help="every session of a question set")
    p.add_argument("--from", dest="start", type=_day, help="first day (with --class)")
    p.add_argument("--to", dest="end", type=_day, help="last day (with --class)")
    p.add_argument(
        "--format",
        choices=list(FORMATS),
        default="csv",
        help="; ".join(f"{f.name}: {f.description}" for f in FORMATS.values()) + " (default csv)",
    )
    p.add_argument("--out", required=True, help="file to write ('-' for standard output)")
    p.add_argument(
        "--tz", help="IANA time zone for dates (default: CARDCHECK_TIME_ZONE, or this computer's)"
    )
    p.add_argument("--db", help="SQLite file (default: cardcheck.sqlite3 in the data folder)")
    p.add_argument(
        "--data-dir", dest="data_dir", help="data folder (default ~/.local/share/cardcheck)"
    )
    p.set_defaults(func=cmd_export)


def _tz(raw: str | None, default: tzinfo) -> tzinfo:
    if not raw:
        return default
    try:
        return ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {raw!r}") from None


def cmd_export(args: argparse.Namespace) -> int:
    from live.errors import NotFound
    from live.http.app import open_store
    from live.settings import Settings

    if (args.start or args.end) and not args.class_name:
        print("cardcheck export: --from and --to go with --class", file=sys.stderr)
        return 2
    settings = Settings.load({"db": args.db, "data_dir": args.data_dir})
    tz = _tz(args.tz, settings.zone)
    store = open_store(settings)
    try:
        data: ReportData
        if args.session is not None:
            data = read_session(store, args.session)
        elif args.set_id is not None:
            data = read_set(store, args.set_id)
        else:
            cls = store.find_class(args.class_name)
            if cls is None:
                print(f"cardcheck export: no class called {args.class_name!r}", file=sys.stderr)
                return 2
            data = read_class(store, cls["id"], start=args.start, end=args.end, tz=tz)
        body = export(data, args.format, tz=tz)
    except NotFound as exc:
        print(f"cardcheck export: {exc.message}", file=sys.stderr)
        return 2
    finally:
        store.close()
    if args.out == "-":
        sys.stdout.buffer.write(body)
    else:
        Path(args.out).write_bytes(body)
        print(
            f"wrote {args.out}: {len(data.sessions)} session(s), {len(data.students)} student(s),"
            f" {len(data.responses)} response(s) as {args.format}",
            file=sys.stderr,
        )
    return 0
