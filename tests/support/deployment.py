"""A school's deployment on this machine, for the several-workers tests: a private PostgreSQL
cluster (initdb and pg_ctl from Debian's packages, in a temporary folder, on a free port, so that
it can be restarted without touching the shared server), ``cardcheck serve`` workers, and
Debian's nginx running ``docs/deploy/nginx.conf`` with its ports and paths changed."""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.support.ws_servers import ROOT, _answers, _stop, _wait_for, free_port
from tests.support.ws_support import TEACHER

__all__ = ["Nginx", "PrivatePostgres", "Worker", "self_signed"]

NGINX_CONF = ROOT / "docs" / "deploy" / "nginx.conf"


def _pg_bin() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[4])
    )
    assert found, "PostgreSQL's server programs are not installed (apt-get install postgresql)"
    return Path(found[-1]).parent


class PrivatePostgres:
    """A PostgreSQL cluster of its own in a temporary folder, on 127.0.0.1 and a free port.

    PostgreSQL refuses to run as root: as root, the cluster belongs to the ``postgres`` user."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.folder = Path(tempfile.mkdtemp(prefix="cardcheck-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [*self._as, *args], capture_output=True, text=True, timeout=60, cwd=self.folder
        )
        assert done.returncode == 0, f"{args[0]} failed: {done.stdout}{done.stderr}"

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off"
            " -c max_connections=100"
        )
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                  str(self.folder / "server.log"), "-o", options, "-w", "-t", "30", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """``immediate`` is a crash: no checkpoint, clients cut off, WAL replayed on start."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def __enter__(self) -> PrivatePostgres:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "-A", "trust", "-E", "UTF8", "--no-sync")  # fmt: skip
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


class Worker:
    """One ``cardcheck serve`` worker on a free port: ``db``, and the bus on ``redis`` under
    ``prefix`` (None: the in-process bus)."""

    def __init__(self, db: str, *, redis: str | None, prefix: str, folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"worker-{self.port}.log"
        data = folder / f"worker-{self.port}"
        data.mkdir()
        args = [sys.executable, "-m", "live.cli", "serve", "--port", str(self.port),
                "--db", db, "--token", TEACHER, "--data-dir", str(data)]  # fmt: skip
        if redis:
            args += ["--redis", redis]
        env = {**os.environ, "CARDCHECK_REDIS_PREFIX": prefix}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def wait_ready(self) -> None:
        _wait_for(
            lambda: _answers(f"{self.url}/api/health") or self.proc.poll() is not None,
            f"worker {self.port}",
        )
        assert self.proc.poll() is None, f"worker {self.port} exited:\n{self.log.read_text()}"

    def kill(self) -> None:
        """``kill -9``: no lifespan, no goodbye on the store or the bus."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        _stop(self.proc)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1 and localhost, as ``serve --https`` makes them."""
    from live.http.tls import ensure_certificate
    from live.settings import Settings

    return ensure_certificate(Settings.load({"data_dir": folder}, env={}))


class Nginx:
    """Debian's nginx in the foreground with ``docs/deploy/nginx.conf``: the workers' ports, a
    free HTTPS port on 127.0.0.1 and a test certificate put in; its prefix, pid file, logs and
    temporary files in ``folder``."""

    def __init__(self, folder: Path, workers: list[int], cert: Path, key: Path) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        assert Path(binary).exists(), "nginx is not installed (make system-deps)"
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        site = render_site(
            NGINX_CONF.read_text(),
            workers=workers,
            port=self.port,
            http_port=free_port(),
            cert=cert,
            key=key,
        )
        (folder / "cardcheck.conf").write_text(site)
        temp = "\n".join(
            f"  {kind}_temp_path {folder}/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (folder / "nginx.conf").write_text(
            f"daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\n"
            f"error_log {folder}/error.log warn;\nevents {{ worker_connections 512; }}\n"
            f"http {{\n  access_log off;\n{temp}\n  include {folder}/cardcheck.conf;\n}}\n"
        )
        # as root, nginx's worker process runs as nobody: it must reach its temporary folders
        folder.chmod(0o755)
        self.proc: subprocess.Popen[Any] | None = None

    def __enter__(self) -> Nginx:
        args = [self.binary, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf"),
                "-e", str(self.folder / "error.log")]  # fmt: skip
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self.proc = proc
        _wait_for(lambda: _listening(self.port) or proc.poll() is not None, "nginx", 20)
        assert proc.poll() is None, (self.folder / "error.log").read_text()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            _stop(self.proc)


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False


def render_site(
    conf: str, *, workers: list[int], port: int, http_port: int, cert: Path, key: Path
) -> str:
    """``docs/deploy/nginx.conf`` for a test: the upstream's three ports, the listening ports (on
    127.0.0.1) and the certificate's paths replaced; nothing else changes."""
    ports = iter(workers)
    out, count = re.subn(
        r"server 127\.0\.0\.1:80\d\d", lambda _: f"server 127.0.0.1:{next(ports)}", conf
    )
    assert count == len(workers), f"the config names {count} workers, the test runs {len(workers)}"
    replacements = {
        "listen 443 ssl;": f"listen 127.0.0.1:{port} ssl;",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "/etc/ssl/cardcheck/fullchain.pem": str(cert),
        "/etc/ssl/cardcheck/privkey.pem": str(key),
    }
    for old, new in replacements.items():
        assert old in out, f"{old!r} is no longer in docs/deploy/nginx.conf"
        out = out.replace(old, new)
    return out
