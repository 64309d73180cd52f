"""A throwaway PostgreSQL cluster for tests: ``initdb`` in a temp dir, ``pg_ctl`` on loopback.

The server binaries come from ``$GBA_PG_BIN``, ``PATH`` or Debian's
``/usr/lib/postgresql/<version>/bin`` (``make test`` installs Debian's ``postgresql`` package
when it runs as root on Debian). PostgreSQL refuses to run as root, so as root the cluster
belongs to an unprivileged system user (``postgres`` where it exists, else ``nobody``) and
``initdb`` / ``pg_ctl`` run through ``runuser``. Nothing but 127.0.0.1 and a Unix socket in
the temp dir is used; the cluster is stopped and deleted on exit.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

INSTALL_HINT = (
    "install the PostgreSQL server (Debian/Ubuntu: apt-get install postgresql; `make test` "
    "does it when run as root on Debian), or set GBA_PG_BIN to the folder with initdb and pg_ctl"
)


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server to start here (the message says what to install)."""


def find_bin_dir() -> Path | None:
    """The folder with ``initdb`` and ``pg_ctl`` (the newest Debian version first), or None."""
    candidates: list[str] = []
    if os.environ.get("GBA_PG_BIN"):
        candidates.append(os.environ["GBA_PG_BIN"])
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(on_path).resolve().parent))
    debian = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(debian, key=lambda p: _version(Path(p).parent.name), reverse=True)
    for folder in candidates:
        path = Path(folder)
        if all(os.access(path / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres")):
            return path
    return None


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def postgres_cluster(*, start_timeout: int = 60) -> Iterator[str]:
    """Start a throwaway cluster; yield its connection string; stop and delete it after.

    Raises:
        PostgresUnavailable: no server binaries, or (as root) no ``runuser``.
        RuntimeError: ``initdb`` or the server failed (with its log).
    """
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable(f"PostgreSQL server not found (initdb, pg_ctl): {INSTALL_HINT}.")
    prefix: list[str] = []
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            raise PostgresUnavailable("Running as root without runuser (util-linux).")
        for name in ("postgres", "nobody"):
            with contextlib.suppress(KeyError):
                owner = pwd.getpwnam(name)
                break
        if owner is None:
            raise PostgresUnavailable("Running as root without a `postgres` or `nobody` user.")
        prefix = [runuser, "-u", owner.pw_name, "--"]
    # Directly under the temp dir (not pytest's 0700 one): the owner must reach it, and the
    # Unix socket's path must stay short.
    root = Path(tempfile.mkdtemp(prefix="gba-pg-"))
    data, log = root / "data", root / "server.log"
    started = False
    try:
        if owner is not None:
            os.chown(root, owner.pw_uid, owner.pw_gid)
        env = {**os.environ, "LC_ALL": "C", "LANG": "C", "HOME": str(root)}

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*prefix, *args], env=env, cwd=root, capture_output=True, text=True, timeout=120
            )

        done = run(
            str(bin_dir / "initdb"),
            *("-D", str(data), "-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8"),
            "--no-sync",
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{done.stdout}{done.stderr}")
        for _attempt in range(3):  # another process may take the free port first
            port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -c port={port} "
                f"-c unix_socket_directories='{root}' -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off"
            )
            done = run(
                str(bin_dir / "pg_ctl"),
                *("start", "-D", str(data), "-l", str(log), "-w", "-t", str(start_timeout)),
                *("-o", options),
            )
            started = done.returncode == 0
            if started or "already in use" not in _read(log):
                break
        if not started:
            raise RuntimeError(f"The PostgreSQL server did not start:\n{done.stderr}{_read(log)}")
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres?sslmode=disable"
    finally:
        if started:
            for mode in ("fast", "immediate"):
                if (
                    run(str(bin_dir / "pg_ctl"), "stop", "-D", str(data), "-m", mode).returncode
                    == 0
                ):
                    break
        shutil.rmtree(root, ignore_errors=True)


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""
