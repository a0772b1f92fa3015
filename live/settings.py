"""The one place that reads the environment.

``Settings`` is built once, from defaults, then ``CARDCHECK_*`` environment variables, then
command-line flags (later wins), and passed to ``create_app``. Nothing else in the service reads
``os.environ``.

The defaults serve one classroom on one machine: an SQLite file in the per-user data folder,
the in-process bus, 127.0.0.1:8000.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Settings", "default_data_dir", "default_demo_dir", "desktop_browser"]

ENV_PREFIX = "CARDCHECK_"


def default_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The per-user data folder: ``$XDG_DATA_HOME/cardcheck`` or ``~/.local/share/cardcheck``."""
    env = os.environ if env is None else env
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "cardcheck"


def default_demo_dir(env: Mapping[str, str] | None = None) -> Path:
    """The demo's own data folder, apart from the real one: ``$XDG_DATA_HOME/cardcheck-demo``
    or ``~/.local/share/cardcheck-demo``."""
    return default_data_dir(env).with_name("cardcheck-demo")


def desktop_browser(env: Mapping[str, str] | None = None) -> bool:
    """Whether opening a browser makes sense: not under CI, and on Linux only with a display."""
    env = os.environ if env is None else env
    if env.get("CI"):
        return False
    linux = sys.platform.startswith("linux")
    return not linux or bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the service is configured with. Keyword-only, every field has a safe default."""

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = field(default_factory=default_data_dir)
    db: str | None = None  # an SQLite file, or postgresql://...; default data_dir/cardcheck.sqlite3
    redis: str | None = None  # redis://... puts the live bus on Redis Streams
    redis_prefix: str = "cardcheck"
    token: str | None = None  # fixes the teacher token; otherwise one is kept per data folder
    https: bool = False
    certfile: Path | None = None
    keyfile: Path | None = None
    demo: bool = False
    max_body_bytes: int = 1_000_000
    max_frame_bytes: int = 8_000_000
    max_frame_pixels: int = 4096 * 4096
    detect_pixels: int = 3840 * 2160  # bigger frames are decoded at 1/2, 1/4.. of their size
    scan_workers: int = 2  # threads decoding frames: every scanner of the process shares them
    public_url: str | None = None  # what printed URLs start with, when behind a proxy
    allowed_origins: tuple[str, ...] = ()  # extra Origins allowed on WebSocket handshakes
    rules_tick_s: float = 15.0  # time-based rules re-evaluated this often; 0 turns it off
    session_idle_s: float = 3 * 3600.0  # a session idle this long ends by itself; 0: never
    store_threads: int = 8  # worker threads for store calls (off the event loop); 0: on it
    store_wait_s: float = 5.0  # longest wait for the database before a 503 with Retry-After
    time_zone: str | None = None  # the school's IANA zone for exports and reports; None: local

    @property
    def database(self) -> str:
        """Where the data lives: a ``postgresql://`` URL, or the path of an SQLite file."""
        return self.db if self.db else str(self.data_dir / "cardcheck.sqlite3")

    @property
    def zone(self) -> tzinfo:
        """The school's time zone: ``time_zone``, or this machine's local zone."""
        if self.time_zone:
            return ZoneInfo(self.time_zone)
        return datetime.now().astimezone().tzinfo or UTC

    @property
    def database_label(self) -> str:
        """``database`` for a banner or a log line: a URL's password hidden."""
        return re.sub(r"(://[^/:@]*:)[^/@]*@", r"\1***@", self.database)

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        scheme = "https" if (self.https or self.certfile) else "http"
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}:{self.port}"

    @classmethod
    def load(
        cls, overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
    ) -> Settings:
        """Defaults, then ``CARDCHECK_<FIELD>`` variables, then ``overrides`` (None is ignored).

        Raises ``ValueError`` naming the variable when one cannot be parsed.
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {"data_dir": default_data_dir(env)}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _parse(f.name, raw)
        for key, value in (overrides or {}).items():
            if value is not None:
                values[key] = _coerce(key, value)
        return replace(cls(), **values)


_BOOLS = {"https", "demo"}
_INTS = {
    "port",
    "max_body_bytes",
    "max_frame_bytes",
    "max_frame_pixels",
    "store_threads",
    "detect_pixels",
    "scan_workers",
}
_PATHS = {"data_dir", "certfile", "keyfile"}
_SECONDS = {"rules_tick_s", "session_idle_s", "store_wait_s"}


def _parse(name: str, raw: str) -> Any:
    try:
        if name in _BOOLS:
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if name == "allowed_origins":
            return tuple(o.strip() for o in raw.split(",") if o.strip())
        return _coerce(name, raw)
    except ValueError:
        raise ValueError(f"{ENV_PREFIX}{name.upper()}: cannot use {raw!r}") from None


def _coerce(name: str, value: Any) -> Any:
    if name in _INTS:
        return int(value)
    if name in _PATHS:
        return Path(value).expanduser()
    if name == "db":  # a URL as given, a file path with ~ expanded
        return str(value) if "://" in str(value) else str(Path(value).expanduser())
    if name in _SECONDS:
        seconds = float(value)
        if not 0 <= seconds < float("inf"):  # also refuses nan
            raise ValueError(f"{name} must be a number of seconds, 0 or more")
        return seconds
    if name == "allowed_origins":
        return tuple(value)
    if name == "time_zone":
        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use a name like Europe/Berlin"
            ) from None
        return str(value)
    return value
