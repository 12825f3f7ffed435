"""Real SIP components for tests: Kamailio run by `entryphone sip` (the CLI, as operators run it)
against the really started app, and Debian's baresip as phones and as the panel, driven through
its ctrl_tcp interface (netstring-framed JSON, one connection per instance)."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from entryphone.config import Settings

BARESIP = shutil.which("baresip")
BARESIP_MODULES = Path("/usr/lib/baresip/modules")
WAIT = 20.0


def missing_binaries() -> str | None:
    from entryphone.sip.render import missing

    problem = missing()
    if problem is not None:
        return problem
    if BARESIP is None or not (BARESIP_MODULES / "ctrl_tcp.so").exists():
        return "baresip (with ctrl_tcp) is not installed: apt-get install baresip"
    return None


def _port_free(port: int) -> bool:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


_taken: set[int] = set()
_lock = threading.Lock()


def _ephemeral_floor() -> int:
    """The lowest port the kernel hands out to outgoing connections: ours stay below it, or a client
    socket (the app's, Kamailio's HTTP, PostgreSQL's) can take a port between our check and the bind."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_FLOOR = 10000
_CEILING = max(_FLOOR + 4096, _ephemeral_floor())


def free_block(size: int) -> int:
    """The first port of `size` consecutive loopback ports free on UDP and TCP (never handed out twice
    by this process; another process may still bind one first, so starters retry: `_start_retrying`)."""
    with _lock:
        for _ in range(500):
            base = random.randrange(_FLOOR, _CEILING - size)
            ports = range(base, base + size)
            if not _taken.intersection(ports) and all(_port_free(port) for port in ports):
                _taken.update(ports)
                return base
    raise RuntimeError("no free block of loopback ports")


def sip_options_ok(port: int, timeout: float = 0.5) -> bool:
    """Kamailio answers an OPTIONS keepalive on UDP."""
    call_id = uuid.uuid4().hex
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        local = sock.getsockname()[1]
        message = (
            f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK{call_id[:16]}\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:probe@127.0.0.1>;tag={call_id[:8]}\r\n"
            f"To: <sip:127.0.0.1:{port}>\r\n"
            f"Call-ID: {call_id}\r\n"
            "CSeq: 1 OPTIONS\r\n"
            "Content-Length: 0\r\n\r\n"
        )
        sock.settimeout(timeout)
        sock.sendto(message.encode(), ("127.0.0.1", port))
        try:
            data, _ = sock.recvfrom(4096)
        except OSError:
            return False
    return data.startswith(b"SIP/2.0 200")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return found


class PortTaken(RuntimeError):
    """Another process bound the port between our check and the start."""


@dataclass
class SipServer:
    """`entryphone sip` running on a free port, reaching the app at `api_port`."""

    settings: Settings
    api_port: int
    workdir: Path
    port: int = 0
    node: str = ""
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def start(self) -> None:
        """Start on a free port; a port another process bound meanwhile means another try."""
        for attempt in range(3):
            try:
                self._start_once()
                return
            except PortTaken:
                if attempt == 2:
                    raise

    def _start_once(self) -> None:
        self.port = free_block(2)
        self.node = f"test-node-{self.port}"
        self.log = self.workdir / f"kamailio-{self.port}.log"
        env = {
            **os.environ,
            "ENTRYPHONE_DATABASE_URL": self.settings.database_url,
            "ENTRYPHONE_DATA_DIR": str(self.settings.data_dir),
            "ENTRYPHONE_SECRET_KEY": self.settings.resolved_secret_key(),
            "ENTRYPHONE_HOST": "127.0.0.1",
            "ENTRYPHONE_PORT": str(self.api_port),
            "ENTRYPHONE_SIP_DOMAIN": self.settings.sip_domain,
            "ENTRYPHONE_SIP_RING_SECONDS": str(self.settings.sip_ring_seconds),
            "ENTRYPHONE_SIP_TALK_SECONDS": str(self.settings.sip_talk_seconds),
            "ENTRYPHONE_SIP_CHILDREN": "2",
        }
        command = [sys.executable, "-m", "entryphone", "sip", "--port", str(self.port), "--node", self.node]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + WAIT
        while not sip_options_ok(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                text = self.log.read_text(errors="replace")
                if "Address already in use" in text:
                    self.stop()
                    raise PortTaken(self.port)
                raise RuntimeError(f"Kamailio did not start; log:\n{text[-3000:]}")
            time.sleep(0.1)

    def kamailio_pids(self) -> list[int]:
        """Kamailio's main process (the runner's child) and its workers."""
        if self.process is None:
            return []
        main = _children(self.process.pid)
        return main + [child for pid in main for child in _children(pid)]

    def kill_kamailio(self) -> None:
        """SIGKILL every Kamailio process (a crash): the runner sees its child die and reports it."""
        for pid in self.kamailio_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=WAIT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.kill_kamailio()
                self.process.kill()
                self.process.wait()


class Phone:
    """One baresip process with one account, driven through ctrl_tcp."""

    def __init__(self, workdir: Path, name: str) -> None:
        self.name = name
        self.dir = workdir / f"baresip-{name}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self.process: subprocess.Popen[bytes] | None = None
        self.sock: socket.socket | None = None
        self.reader: threading.Thread | None = None
        self.seen: list[dict[str, Any]] = []

    def start(self, account: str) -> None:
        """Start with a free block of ports; baresip exiting at once (a port another process bound
        meanwhile) means another try with another block."""
        for attempt in range(3):
            try:
                self._start_once(account)
                return
            except PortTaken:
                if attempt == 2:
                    log = (self.dir / "baresip.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"baresip {self.name} exited at start; log:\n{log}") from None

    def _start_once(self, account: str) -> None:
        base = free_block(16)
        sip_port, ctrl_port, rtp = base, base + 4, base + 6
        (self.dir / "config").write_text(
            "\n".join(
                [
                    f"sip_listen 127.0.0.1:{sip_port}",
                    "net_interface 127.0.0.1",
                    f"rtp_ports {rtp}-{rtp + 9}",
                    f"module_path {BARESIP_MODULES}",
                    "audio_source ausine,440",
                    "ausrc_srate 48000",
                    "ausrc_channels 2",
                    "auplay_srate 48000",
                    f"audio_player aubridge,{self.name}",
                    f"audio_alert aubridge,{self.name}",
                    "module g711.so",
                    "module ausine.so",
                    "module aubridge.so",
                    "module_tmp uuid.so",
                    "module_tmp account.so",
                    "module_app menu.so",
                    "module_app ctrl_tcp.so",
                    f"ctrl_tcp_listen 127.0.0.1:{ctrl_port}",
                    "",
                ]
            )
        )
        # The account is added through ctrl_tcp once connected: its REGISTER events are not lost.
        (self.dir / "accounts").write_text("")
        (self.dir / "contacts").write_text("")
        log = (self.dir / "baresip.log").open("ab")
        assert BARESIP is not None
        self.process = subprocess.Popen([BARESIP, "-f", str(self.dir)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + WAIT
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", ctrl_port), timeout=1)
                break
            except OSError:
                if self.process.poll() is not None:
                    raise PortTaken(base) from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"baresip {self.name} did not start") from None
                time.sleep(0.05)
        self.sock.settimeout(None)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        reply = self.command("uanew", account)
        if reply.get("ok") is not True:
            raise RuntimeError(f"baresip {self.name} refused the account: {reply}")

    def _read(self) -> None:
        assert self.sock is not None
        buffer = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b":" in buffer:
                length, _, rest = buffer.partition(b":")
                if not length.isdigit() or len(rest) < int(length) + 1:
                    break
                payload, buffer = rest[: int(length)], rest[int(length) + 1 :]
                message = json.loads(payload)
                if message.get("event"):
                    self.seen.append(message)
                    self.events.put(message)
                else:
                    self.replies.put(message)

    def command(self, command: str, params: str = "") -> dict[str, Any]:
        assert self.sock is not None
        body = json.dumps({"command": command, "params": params, "token": uuid.uuid4().hex}).encode()
        self.sock.sendall(str(len(body)).encode() + b":" + body + b",")
        return self.replies.get(timeout=WAIT)

    def wait_for(self, *types: str, timeout: float = WAIT) -> dict[str, Any]:
        """The next event of one of these types (others are kept in `seen`)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.name}: none of {types} within {timeout} s; saw {self.types()}")
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if event.get("type") in types:
                return event

    def types(self) -> list[str]:
        return [str(event.get("type")) for event in self.seen]

    def had(self, kind: str) -> bool:
        return kind in self.types()

    def stop(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def account_line(
    login: str, password: str, domain: str, port: int, *, answer: str = "manual", regint: int = 60
) -> str:
    return (
        f'<sip:{login}@{domain}>;auth_pass="{password}";outbound="sip:127.0.0.1:{port}";'
        f"regint={regint};answermode={answer}"
    )


def register_once(port: int, user: str, password: str, domain: str) -> str:
    """One REGISTER with Digest (challenge, then credentials) from a raw UDP socket; the final
    status line. For checks a phone would not make on purpose (many wrong passwords)."""
    import hashlib
    import re

    def md5(text: str) -> str:
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(5)
        local = sock.getsockname()[1]
        call_id, tag = uuid.uuid4().hex, uuid.uuid4().hex[:8]

        def send(cseq: int, extra: str = "") -> str:
            message = (
                f"REGISTER sip:{domain} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{local};rport;branch=z9hG4bK{uuid.uuid4().hex[:16]}\r\n"
                "Max-Forwards: 70\r\n"
                f"From: <sip:{user}@{domain}>;tag={tag}\r\n"
                f"To: <sip:{user}@{domain}>\r\n"
                f"Call-ID: {call_id}\r\n"
                f"CSeq: {cseq} REGISTER\r\n"
                f"Contact: <sip:{user}@127.0.0.1:{local}>\r\n"
                "Expires: 60\r\n"
                f"{extra}"
                "Content-Length: 0\r\n\r\n"
            )
            sock.sendto(message.encode(), ("127.0.0.1", port))
            while True:
                reply = sock.recv(65536).decode(errors="replace")
                if not reply.startswith("SIP/2.0 1"):
                    return reply

        challenge = send(1)
        if not challenge.startswith("SIP/2.0 401"):
            return challenge.splitlines()[0]
        header = next(line for line in challenge.splitlines() if line.lower().startswith("www-authenticate"))
        realm = re.search(r'realm="([^"]*)"', header)
        nonce = re.search(r'nonce="([^"]*)"', header)
        assert realm is not None and nonce is not None
        uri, cnonce, nc = f"sip:{domain}", uuid.uuid4().hex[:16], "00000001"
        ha1 = md5(f"{user}:{realm.group(1)}:{password}")
        response = md5(f"{ha1}:{nonce.group(1)}:{nc}:{cnonce}:auth:{md5(f'REGISTER:{uri}')}")
        authorization = (
            f'Authorization: Digest username="{user}", realm="{realm.group(1)}", nonce="{nonce.group(1)}", '
            f'uri="{uri}", response="{response}", algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}"\r\n'
        )
        return send(2, authorization).splitlines()[0]
