"""The ``cardcheck`` command line.

Each subcommand parses its flags, builds ``Settings`` where it serves, and calls into the
service or the scanner; none holds logic of its own beyond reporting.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from live.settings import Settings, default_demo_dir

__all__ = ["main"]

DB_HELP = (
    "an SQLite file, or postgresql://user@host/dbname (or CARDCHECK_DB);"
    " default: cardcheck.sqlite3 in the data folder"
)
DATA_DIR_HELP = "data folder (default ~/.local/share/cardcheck)"


def _settings(args: argparse.Namespace, **extra: Any) -> Settings:
    keys = ("host", "port", "db", "redis", "token", "https", "certfile", "keyfile", "data_dir")
    overrides = {k: getattr(args, k, None) for k in keys}
    overrides["https"] = True if getattr(args, "https", False) else None
    overrides["session_idle_s"] = getattr(args, "session_idle", None)
    overrides.update(extra)
    settings = Settings.load(overrides)
    if settings.demo:
        # the demo keeps to a data folder of its own, whatever CARDCHECK_DATA_DIR or
        # CARDCHECK_DB say of the real one: no real class is ever scanned into it
        data_dir = getattr(args, "data_dir", None)
        db = getattr(args, "db", None)
        settings = replace(
            settings,
            data_dir=Path(data_dir).expanduser() if data_dir else default_demo_dir(),
            db=(db if "://" in db else str(Path(db).expanduser())) if db else None,
        )
    return settings


def _serve_flags(p: argparse.ArgumentParser, *, demo: bool = False) -> None:
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8000)")
    if demo:
        p.add_argument(
            "--db",
            help="SQLite file or postgresql://... (default: cardcheck.sqlite3 in the demo's folder)",
        )
        p.add_argument(
            "--data-dir",
            dest="data_dir",
            help="the demo's own data folder (default ~/.local/share/cardcheck-demo)",
        )
    else:
        p.add_argument("--db", help=DB_HELP)
        p.add_argument("--data-dir", dest="data_dir", help=DATA_DIR_HELP)
    p.add_argument(
        "--session-idle",
        dest="session_idle",
        type=float,
        metavar="SECONDS",
        help="a session idle this long ends by itself (default 10800, 3 h; 0: never)",
    )
    p.add_argument("--redis", help="redis://host:port/db: put the live bus on Redis Streams")
    p.add_argument(
        "--token", help="teacher token (or CARDCHECK_TOKEN); default: kept per data folder"
    )
    p.add_argument(
        "--https", action="store_true", help="serve HTTPS with a self-signed certificate"
    )
    p.add_argument("--certfile", help="TLS certificate (PEM), e.g. from mkcert")
    p.add_argument("--keyfile", help="TLS key (PEM)")


def _banner(settings: Settings, *, demo_class: int | None) -> str:
    from live.http.app import Urls, open_store, tokens_for

    store = open_store(settings)
    try:
        urls = Urls(settings.base_url, tokens_for(settings, store))
        classes = store.list_classes()
    finally:
        store.close()
    name = "the cardcheck demo" if demo_class is not None else "cardcheck"
    lines = [f"{name} is serving on {settings.base_url} (data: {settings.database_label})", ""]
    if demo_class is not None:
        lines += [
            "    This is the demo: a seeded class and a simulated classroom camera, in a data",
            f"    folder of its own ({settings.data_dir}), apart from your classes.",
            '    For your own classes run `cardcheck serve` (the README\'s "Your own class").',
            "",
        ]
    lines += [
        "    Teacher console: this link signs you in as the owner (keep it to yourself; it carries",
        "    the owner token, which scripts may send as a Bearer token):",
        f"        {urls.owner()}",
        "    The demo camera runs its own sessions; each session's scanner link and QR code are"
        " on the console."
        if demo_class is not None
        else "    Start sessions there: each one's scanner link and QR code are on the console.",
    ]
    if classes:
        lines += ["    Projectors, read-only, one per class (each shows the class's live session):"]
        lines += [f"        {c['name']}: {urls.class_projector(c['id'])}" for c in classes[:8]]
        if len(classes) > 8:
            lines.append(f"        (and {len(classes) - 8} more: on the console)")
    lines += _pairing_lines(settings, urls.tokens.teacher)
    lines += ["", "Press Ctrl+C to stop."]
    return "\n".join(lines)


def _pairing_lines(settings: Settings, token: str) -> list[str]:
    from urllib.parse import quote

    from live.http.pairing import phone_base_url, qr_terminal

    url = f"{phone_base_url(settings)}/teacher/?token={quote(token)}"
    if "://127." in url or "://localhost" in url:
        return [
            "",
            "    A phone cannot reach 127.0.0.1: serve with --host 0.0.0.0 --https to pair one.",
        ]
    lines = ["", f"    On a phone: point its camera at this code to open the console ({url})"]
    if not url.startswith("https:"):
        lines.append("    (phones give the camera only to https pages: add --https)")
    return [*lines, "", *("    " + row for row in qr_terminal(url).splitlines())]


def _log_to_terminal() -> None:
    """The service's own log lines (a session interrupted, or ended when idle) on stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    logger = logging.getLogger("cardcheck")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _freeze_startup_objects() -> None:
    """Keep what was loaded at start-up out of the garbage collector's full passes.

    The imported libraries (NumPy, OpenCV, Starlette, ...) are a few hundred thousand objects
    that live as long as the process. Left in the collector's oldest generation, each full
    collection walks them all: with 1,000 dashboards connected that was a 120 ms pause in the
    middle of an event's fan-out (``bench/fanout.py``). Frozen, a full pass walks only what
    the service made since.
    """
    import gc

    gc.collect()
    gc.freeze()


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from live.http.app import create_app, open_store

    settings = _settings(args, demo=True if args.demo else None)
    demo_class = None
    if settings.demo:
        from live.demo.seed import seed_demo

        store = open_store(settings)
        try:
            demo_class = seed_demo(store, now=time.time())
        finally:
            store.close()
    ssl: dict[str, Any] = {}
    if settings.https or settings.certfile:
        from live.http.tls import ensure_certificate

        cert, key = ensure_certificate(settings)
        ssl = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    print(_banner(settings, demo_class=demo_class), flush=True)
    _log_to_terminal()
    _freeze_startup_objects()
    if getattr(args, "camera", None) is not None and demo_class is not None:  # `cardcheck demo`
        from live.demo.camera import run_demo
        from live.settings import desktop_browser

        return run_demo(
            create_app(settings),
            settings,
            class_id=demo_class,
            camera=args.camera,
            questions=args.questions,
            pace=args.pace,
            ssl_options=ssl,
            open_browser=args.browser and desktop_browser(),
        )
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        ws_per_message_deflate=False,
        ws_max_size=settings.max_frame_bytes,
        **ssl,
    )
    return 0


def cmd_roster_import(args: argparse.Namespace) -> int:
    from live.http.app import open_store
    from live.reports.imports import read_roster
    from live.store import import_roster

    settings = _settings(args)
    try:
        raw = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    store = open_store(settings)
    try:
        cls = store.find_class(args.class_name)
        if cls is None:
            cls = store.create_class(args.class_name, now=time.time())
            print(f"created class {cls['name']!r} (id {cls['id']})")
        roster = store.list_students(cls["id"])
        taken = {s["card"] for s in roster if s["card"] is not None}
        taken_ids = {s["school_id"] for s in roster if s["school_id"] is not None}
        try:
            # CSV or XLSX (told apart by the zip signature), the same path as the API
            sheet = read_roster(raw, taken=taken, taken_ids=taken_ids)
        except ValueError as exc:
            print(f"{args.file}: {exc}", file=sys.stderr)
            return 2
        for line, reason in sheet.rejected:
            print(f"  line {line}: rejected: {reason}", file=sys.stderr)
        if sheet.rejected and not args.partial:
            print(
                f"{len(sheet.rejected)} row(s) rejected, nothing imported "
                "(fix them, or pass --partial to import the good rows)",
                file=sys.stderr,
            )
            return 1
        counts = import_roster(store, cls["id"], sheet.rows, now=time.time())
        print(
            f"imported {counts['created']} student(s) into {cls['name']!r}"
            f" ({counts['grouped']} in groups, {len(sheet.rejected)} rejected)"
        )
        for row in sheet.rows:
            print(
                f"  card {row.card:>2}  {row.name}"
                + (f"  ID {row.school_id}" if row.school_id else "")
                + (f"  [{row.group}]" if row.group else "")
            )
        return 0
    finally:
        store.close()


def cmd_cards(args: argparse.Namespace) -> int:
    from scanner import Deck, write_cards_pdf

    deck = Deck()
    numbers = _card_range(args.cards, deck)
    names = None
    if args.class_name:
        from live.http.app import open_store

        store = open_store(_settings(args))
        try:
            cls = store.find_class(args.class_name)
            if cls is None:
                print(f"no class called {args.class_name!r}", file=sys.stderr)
                return 2
            names = {s["card"]: s["name"] for s in store.list_students(cls["id"]) if s["card"]}
        finally:
            store.close()
        if args.cards is None:
            numbers = sorted(names)
    pages = write_cards_pdf(
        args.out, deck, numbers=numbers, per_page=args.per_page, paper=args.paper, names=names
    )
    print(f"wrote {len(numbers)} card(s) on {pages} page(s) to {args.out}")
    return 0


def _card_range(spec: str | None, deck: Any) -> list[int]:
    if not spec:
        return list(deck.numbers)
    out: list[int] = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        try:
            a, b = int(lo), int(hi or lo)
        except ValueError:
            raise SystemExit(f"cards: cannot read {part!r}; use e.g. 1-30 or 1,4,9") from None
        out.extend(range(a, b + 1))
    return out


def cmd_decode(args: argparse.Namespace) -> int:
    import json

    import cv2

    from scanner import Deck, Detector, ImageError, annotate, decode_image

    detector = Detector(Deck())
    status = 0
    results = []
    for path in args.images:
        try:
            data = Path(path).read_bytes()
            dets = detector.detect_bytes(data)
        except (OSError, ImageError) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            status = 1
            continue
        results.append({"image": path, "cards": [d.to_dict() for d in dets]})
        if not args.json:
            print(f"{path}: {len(dets)} card(s)")
            for d in sorted(dets, key=lambda d: d.card):
                print(f"  card {d.card:>2}  {d.answer}")
        if args.annotate:
            frame = decode_image(data)  # the same oriented pixels the detections refer to
            out = Path(args.annotate)
            if len(args.images) > 1:
                out = out.with_name(f"{out.stem}-{Path(path).stem}{out.suffix}")
            cv2.imwrite(str(out), annotate(frame, dets))
    if args.json:
        print(json.dumps(results, indent=2))
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cardcheck", description="Classroom formative checks with printed answer cards."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the service")
    _serve_flags(p)
    p.add_argument(
        "--demo",
        action="store_true",
        help="serve the demo class instead, from the demo's own data folder (as `cardcheck demo`)",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "demo",
        help="serve the demo class with a simulated classroom camera, in its own data folder",
    )
    _serve_flags(p, demo=True)
    p.add_argument(
        "--no-camera",
        dest="camera",
        action="store_false",
        help="serve the demo class without the simulated camera",
    )
    p.add_argument("--questions", type=int, help="stop (server too) after this many questions")
    p.add_argument(
        "--pace",
        type=float,
        default=25.0,
        help="seconds the camera spends on each question (default 25)",
    )
    p.add_argument(
        "--no-browser",
        dest="browser",
        action="store_false",
        help="do not open the console and the projector in a browser",
    )
    p.set_defaults(func=cmd_serve, demo=True, camera=True, browser=True)

    p = sub.add_parser("roster", help="class rosters")
    rsub = p.add_subparsers(dest="roster_command", required=True)
    r = rsub.add_parser("import", help="import a roster (CSV or XLSX) into a class")
    r.add_argument(
        "file",
        help="CSV or XLSX with a name (or first/last name) column; card, group optional",
    )
    r.add_argument("--class", dest="class_name", required=True, help="class name (created if new)")
    r.add_argument("--partial", action="store_true", help="import the good rows when some are bad")
    r.add_argument("--db", help=DB_HELP)
    r.add_argument("--data-dir", dest="data_dir", help=DATA_DIR_HELP)
    r.set_defaults(func=cmd_roster_import)

    p = sub.add_parser("cards", help="printable cards as a PDF")
    p.add_argument("--out", required=True, help="PDF file to write")
    p.add_argument("--cards", help="card numbers, e.g. 1-30 or 1,4,9 (default all)")
    p.add_argument(
        "--per-page",
        type=int,
        choices=(1, 2, 4),
        default=2,
        help="cards per page: 2 (the default) read across a classroom, 1 across a hall, 4 up"
        " to about 4.5 m",
    )
    p.add_argument(
        "--paper", choices=("letter", "a4"), default="letter", help="paper size (default letter)"
    )
    p.add_argument("--class", dest="class_name", help="print each student's name on their card")
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--data-dir", dest="data_dir", help=DATA_DIR_HELP)
    p.set_defaults(func=cmd_cards)

    p = sub.add_parser("decode", help="decode cards in still photos")
    p.add_argument("images", nargs="+", help="photos to read (JPEG, PNG, WebP...)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--annotate", help="write a copy with boxes, numbers and answers drawn")
    p.set_defaults(func=cmd_decode)

    from live.cli.export import add_export_parser

    add_export_parser(sub)

    from live.cli.camera import add_scan_parser

    add_scan_parser(sub)

    from live.cli.copy import add_copy_parser

    add_copy_parser(sub)

    from live.cli.users import add_users_parser

    add_users_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ValueError as exc:
        print(f"cardcheck {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
