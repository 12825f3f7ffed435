"""Real SIP peers for the panel's user agent: a Kamailio registrar/proxy and baresip phones.

Kamailio runs a small test configuration (registrar, Digest with fixed test users, record-
routing proxy to registered contacts); baresip is a phone driven over its ctrl_tcp interface.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path
from typing import Any

KAMAILIO = shutil.which("kamailio") or "/usr/sbin/kamailio"
KAMCMD = shutil.which("kamcmd") or "/usr/sbin/kamcmd"
BARESIP = shutil.which("baresip") or "/usr/bin/baresip"
DOMAIN = "intercom.test"


def free_port(kind: int = socket.SOCK_DGRAM, span: int = 1) -> int:
    """A port free for UDP and TCP (and the next span-1 ones, for baresip's TLS listener)."""
    while True:
        with socket.socket(socket.AF_INET, kind) as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        if port + span >= 65000:
            continue
        try:
            for offset in range(span + 1):
                for other in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                    with socket.socket(socket.AF_INET, other) as check:
                        check.bind(("127.0.0.1", port + offset))
        except OSError:
            continue
        return port


def kamailio_config(
    port: int, rundir: Path, users: dict[str, str], ring_timeout: int, numbered_password: str | None = None
) -> str:
    """users: fixed test accounts; numbered_password: the password of every other all-digit user
    (the capacity benchmark's thousands of panels)."""
    checks = [
        f'    {"if" if i == 0 else "else if"} ($au == "{user}") {{ $var(pw) = "{password}"; }}'
        for i, (user, password) in enumerate(users.items())
    ]
    if numbered_password is not None:
        prefix = "else if" if checks else "if"
        checks.append(f'    {prefix} (!($au =~ "[^0-9]")) {{ $var(pw) = "{numbered_password}"; }}')
    checks_text = "\n".join(checks)
    return f"""#!KAMAILIO
debug=2
log_stderror=yes
children=2
tcp_children=1
auto_aliases=no
listen=udp:127.0.0.1:{port}
listen=tcp:127.0.0.1:{port}
alias="{DOMAIN}"
rundir="{rundir}"
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "ctl.so"
loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "auth.so"
modparam("ctl", "binrpc", "unix:{rundir}/kamailio_ctl")
modparam("tm", "fr_timer", 5000)
modparam("tm", "fr_inv_timer", {ring_timeout * 1000})
modparam("rr", "append_fromtag", 1)
modparam("registrar", "min_expires", 10)
modparam("registrar", "max_expires", 3600)
modparam("registrar", "method_filtering", 1)

request_route {{
    force_rport();
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (is_method("CANCEL")) {{
        if (t_check_trans()) {{ t_relay(); }}
        exit;
    }}
    if (!is_method("ACK")) {{ if (t_precheck_trans()) {{ t_check_trans(); exit; }} t_check_trans(); }}
    if (has_totag()) {{
        if (loose_route()) {{ t_relay(); exit; }}
        if (is_method("ACK")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
        sl_send_reply("404", "Not here");
        exit;
    }}
    remove_hf("Route");
    if (is_method("OPTIONS") && uri == myself && $rU == $null) {{ sl_send_reply("200", "OK"); exit; }}
    if (is_method("REGISTER")) {{
        route(AUTH);
        if (!save("location")) {{ sl_reply_error(); }}
        exit;
    }}
    if (is_method("INVITE")) {{
        route(AUTH);
        record_route();
        if (!lookup("location")) {{ sl_send_reply("404", "Not Found"); exit; }}
        t_relay();
        exit;
    }}
    sl_send_reply("405", "Method Not Allowed");
}}

route[AUTH] {{
    $var(pw) = "";
    if (is_present_hf("Authorization") || is_present_hf("Proxy-Authorization")) {{
{checks_text}
    }}
    if (is_method("REGISTER")) {{
        if ($var(pw) == "" || !pv_www_authenticate("{DOMAIN}", "$var(pw)", "0")) {{
            www_challenge("{DOMAIN}", "1");
            exit;
        }}
        if ($au != $tU) {{ sl_send_reply("403", "Forbidden"); exit; }}
    }} else {{
        if ($var(pw) == "" || !pv_proxy_authenticate("{DOMAIN}", "$var(pw)", "0")) {{
            proxy_challenge("{DOMAIN}", "1");
            exit;
        }}
    }}
    consume_credentials();
}}
"""


class Kamailio:
    def __init__(
        self,
        workdir: Path,
        users: dict[str, str],
        ring_timeout: int = 30,
        numbered_password: str | None = None,
        memory_mb: int = 32,
    ) -> None:
        self.workdir = workdir
        self.users = users
        self.ring_timeout = ring_timeout
        self.numbered_password = numbered_password
        self.memory_mb = memory_mb
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    async def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        config = self.workdir / "kamailio.cfg"
        config.write_text(
            kamailio_config(self.port, self.workdir, self.users, self.ring_timeout, self.numbered_password)
        )
        self.log = (self.workdir / "kamailio.log").open("wb")
        self.process = subprocess.Popen(
            [KAMAILIO, "-DD", "-E", "-f", str(config), "-m", str(self.memory_mb), "-M", "4"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for _ in range(200):
            if self.process.poll() is not None:
                raise RuntimeError((self.workdir / "kamailio.log").read_text())
            if (self.workdir / "kamailio_ctl").exists() and await self._answers():
                return
            await asyncio.sleep(0.05)
        raise RuntimeError("kamailio did not start")

    async def _answers(self) -> bool:
        return (await self.rpc("core.version")).strip() != ""

    async def rpc(self, *command: str) -> str:
        process = await asyncio.create_subprocess_exec(
            KAMCMD,
            "-s",
            f"unix:{self.workdir}/kamailio_ctl",
            *command,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        out, _ = await process.communicate()
        return out.decode()

    async def registered_users(self) -> int:
        """Bindings in the location table (a statistic: ul.dump's reply overflows past a few hundred)."""
        for line in (await self.rpc("stats.get_statistics", "location_contacts")).splitlines():
            name, _, value = line.partition("=")
            if name.strip() == "usrloc:location_contacts":
                return int(value)
        raise RuntimeError("kamailio reported no usrloc:location_contacts")

    async def contacts(self, user: str) -> list[str]:
        """The contacts usrloc holds for a user (empty when none)."""
        contacts: list[str] = []
        current = None
        for line in (await self.rpc("ul.dump")).splitlines():
            name, _, value = line.strip().partition(": ")
            if name == "AoR":
                current = value
            elif name == "Address" and current == user:
                contacts.append(value)
        return contacts

    async def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            for _ in range(100):
                if self.process.poll() is not None:
                    break
                await asyncio.sleep(0.05)
            else:
                self.process.kill()
        self.process = None
        self.log.close()


class Baresip:
    """A phone: one account, answering on command, reporting call events."""

    def __init__(self, workdir: Path, user: str, password: str, proxy: tuple[str, int]) -> None:
        self.workdir = workdir
        self.user = user
        self.password = password
        self.proxy = proxy
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._pump: asyncio.Task[None] | None = None

    async def start(self, answermode: str = "manual") -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        sip_port = free_port(span=2)
        ctrl_port = free_port(socket.SOCK_STREAM)
        rtp = free_port()
        (self.workdir / "config").write_text(
            "\n".join(
                [
                    f"sip_listen 127.0.0.1:{sip_port}",
                    "net_interface 127.0.0.1",
                    f"rtp_ports {rtp}-{rtp + 9}",
                    "module_path /usr/lib/baresip/modules",
                    "audio_source ausine,440",
                    "ausrc_srate 48000",
                    "ausrc_channels 2",
                    "auplay_srate 48000",
                    "audio_player aubridge,nowhere",
                    "audio_alert aubridge,nowhere",
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
        host, port = self.proxy
        (self.workdir / "accounts").write_text(
            f'<sip:{self.user}@intercom.test>;auth_pass={self.password};outbound="sip:{host}:{port}";'
            f"regint=60;answermode={answermode}\n"
        )
        (self.workdir / "contacts").write_text("")
        self.process = await asyncio.create_subprocess_exec(
            BARESIP,
            "-f",
            str(self.workdir),
            stdin=subprocess.DEVNULL,
            stdout=(self.workdir / "baresip.log").open("wb"),
            stderr=subprocess.STDOUT,
            env={**os.environ, "HOME": str(self.workdir)},
        )
        for _ in range(200):
            with contextlib.suppress(OSError):
                self._reader, self._writer = await asyncio.open_connection("127.0.0.1", ctrl_port)
                break
            await asyncio.sleep(0.05)
        else:
            raise RuntimeError("baresip did not start")
        self._pump = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._reader is not None
        while True:
            length = await self._reader.readuntil(b":")
            payload = await self._reader.readexactly(int(length[:-1]))
            await self._reader.readexactly(1)  # the netstring's comma
            message = json.loads(payload)
            if message.get("event"):
                await self.events.put(message)
            else:
                await self._replies.put(message)

    async def command(self, command: str, params: str = "") -> dict[str, Any]:
        assert self._writer is not None
        payload = json.dumps({"command": command, "params": params, "token": command}).encode()
        self._writer.write(str(len(payload)).encode() + b":" + payload + b",")
        await self._writer.drain()
        return await asyncio.wait_for(self._replies.get(), 10)

    async def wait_for(self, kind: str, timeout: float = 30) -> dict[str, Any]:
        async def wait() -> dict[str, Any]:
            while True:
                event = await self.events.get()
                if event.get("type") == kind:
                    return event

        return await asyncio.wait_for(wait(), timeout)

    async def stop(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
        if self._writer is not None:
            self._writer.close()
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 5)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
