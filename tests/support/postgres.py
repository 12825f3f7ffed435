"""A throwaway PostgreSQL cluster from Debian's postgresql package, started for one test session."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "entryphone"


class PostgresUnavailable(RuntimeError):
    pass


def find_bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    for candidate in reversed(candidates):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    raise PostgresUnavailable(
        "PostgreSQL server binaries not found: install Debian's postgresql package "
        "(.ci/run does), or run with ENTRYPHONE_TEST_BACKENDS=sqlite"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresCluster:
    bindir: Path
    root: Path
    port: int
    _run_as: str | None

    @property
    def admin_url(self) -> str:
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _cmd(self, *args: str) -> list[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._run_as:
            return ["runuser", "-u", self._run_as, "--", *command]
        return command

    @classmethod
    def start(cls) -> PostgresCluster:
        bindir = find_bindir()
        root = Path(tempfile.mkdtemp(prefix="entryphone-pg-"))
        run_as = None
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root; the Debian package creates the `postgres` user.
            try:
                user = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PostgresUnavailable("running as root and there is no `postgres` user") from exc
            os.chown(root, user.pw_uid, user.pw_gid)
            run_as = "postgres"
        cluster = cls(bindir=bindir, root=root, port=_free_port(), _run_as=run_as)
        data = root / "data"
        subprocess.run(
            cluster._cmd(
                "initdb", "-D", str(data), "-U", SUPERUSER, "-A", "trust", "--no-sync", "-E", "UTF8"
            ),
            check=True,
            capture_output=True,
        )
        options = (
            f"-p {cluster.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            cluster._cmd("pg_ctl", "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"),
            check=True,
            capture_output=True,
        )
        return cluster

    def create_database(self, name: str, template: str | None = None) -> str:
        args = ["createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER]
        if template:
            args += ["-T", template]
        for attempt in range(20):
            result = subprocess.run(
                [str(self.bindir / args[0]), *args[1:], name], capture_output=True, text=True
            )
            if result.returncode == 0:
                return self.url(name)
            # A template cannot be copied while another session is still connected to it.
            if "is being accessed by other users" not in result.stderr or attempt == 19:
                raise RuntimeError(f"createdb {name} failed: {result.stderr}")
            time.sleep(0.2)
        raise AssertionError("unreachable")

    def stop(self) -> None:
        subprocess.run(
            self._cmd("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop"),
            capture_output=True,
        )
        shutil.rmtree(self.root, ignore_errors=True)
