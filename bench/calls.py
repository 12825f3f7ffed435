"""Calls through the SIP server: one Kamailio (`entryphone sip`) and one API node (`entryphone serve`),
driven by SIPp (Debian `sipp`).

- Endpoints: `--endpoints` SIP accounts, a fifth of them panels (intercoms with sip_credentials,
  4 flats each) and the rest phones (one resident per flat, one phone each, its account from the
  same service as GET /api/v1/sip-account). Every endpoint registers first (Digest against the
  platform's HA1), then re-registers on its cycle (`--expires`, default 600 s) during the window.
- Calls: panels call random flats at `--rate` calls/s for `--seconds`; the flat's phone (a SIPp
  UAS holding every phone's contact) rings (180), answers, the panel hangs up after 1 s.
- Figures: call setup (the panel's authenticated INVITE sent -> the phone's 180 back at the panel,
  so it includes the platform's routing answer and both SIP hops; the 180 is optional, as in SIP:
  over UDP the phone's 200 may overtake it, and such a call is answered, not failed, only not
  timed), failed calls and registrations
  (SIPp's counters), the routing and HA1 endpoints' latency (the API's /metrics histogram: the p99
  is the upper bound of its bucket), and the CPU each process used during the window.

Targets (issue 17): call setup p99 < 100 ms, routing endpoint p99 < 10 ms, 0 failed calls.
Figures only, never asserted.

Run: .venv/bin/python bench/calls.py [--backend sqlite|postgresql] [--database-url URL]
     [--endpoints 10000] [--rate 20] [--seconds 60] [--expires 600]
Full scale (the issue's figures):
     .venv/bin/python bench/calls.py --backend postgresql --endpoints 10000 --rate 20 --seconds 60
Tiny check: .venv/bin/python bench/calls.py --backend sqlite --endpoints 50 --rate 2 --seconds 5
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

from _common import (
    ROOT,
    child_env,
    console,
    cpu_seconds,
    free_port,
    fresh_database,
    in_session,
    percentile,
    report,
    settings_for,
)
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.accounts import service as accounts
from entryphone.context import AppContext
from entryphone.flats import service as flats
from entryphone.intercoms import service as intercoms
from entryphone.intercoms.changes import IntercomChanges
from entryphone.models import Role
from entryphone.residents import service as residents
from entryphone.sipaccounts import service as sip_accounts

sys.path.insert(0, str(ROOT))  # the test suite's SIP helpers, reused rather than copied
from tests.support.sip import _children, free_block, sip_options_ok  # type: ignore[import-not-found]

DOMAIN = "bench.entryphone"
FLATS_PER_PANEL = 4
PANEL_PASSWORD = "bench-panel-password"

# -- SIPp scenarios ---------------------------------------------------------------------------------

SDP = """v=0
o=- 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000"""

REGISTER = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register">
  <send retrans="500"><![CDATA[
REGISTER sip:{domain} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field0]@{domain}>;tag=[pid]R[call_number]
To: <sip:[field0]@{domain}>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:[field0]@127.0.0.1:[field2]>
Expires: {expires}
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
REGISTER sip:{domain} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field0]@{domain}>;tag=[pid]R[call_number]
To: <sip:[field0]@{domain}>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:[field0]@127.0.0.1:[field2]>
[field1]
Expires: {expires}
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200" crlf="true"/>
</scenario>
"""

PANEL = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="panel calls a flat">
  <send retrans="500"><![CDATA[
INVITE sip:[field2]@{domain} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field0]@{domain}>;tag=[pid]P[call_number]
To: <sip:[field2]@{domain}>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:[field0]@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

{sdp}
]]></send>
  <recv response="100" optional="true"/>
  <recv response="407" auth="true"/>
  <send><![CDATA[
ACK sip:[field2]@{domain} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field0]@{domain}>;tag=[pid]P[call_number]
To: <sip:[field2]@{domain}>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
  <send retrans="500" start_rtd="1"><![CDATA[
INVITE sip:[field2]@{domain} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field0]@{domain}>;tag=[pid]P[call_number]
To: <sip:[field2]@{domain}>
Call-ID: [call_id]
CSeq: 2 INVITE
Contact: <sip:[field0]@[local_ip]:[local_port]>
[field1]
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

{sdp}
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true" rtd="1"/>
  <recv response="200" rrs="true"/>
  <send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field0]@{domain}>;tag=[pid]P[call_number]
To: <sip:[field2]@{domain}>[peer_tag_param]
Call-ID: [call_id]
[routes]
CSeq: 2 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
  <pause milliseconds="1000"/>
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field0]@{domain}>;tag=[pid]P[call_number]
To: <sip:[field2]@{domain}>[peer_tag_param]
Call-ID: [call_id]
[routes]
CSeq: 3 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200" crlf="true"/>
</scenario>
"""

PHONES = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="phones answer">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]U[call_number]
[last_Call-ID:]
[last_CSeq:]
[last_Record-Route:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]U[call_number]
[last_Call-ID:]
[last_CSeq:]
[last_Record-Route:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

{sdp}
]]></send>
  <recv request="ACK" crlf="true"/>
  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
</scenario>
"""


# -- data ---------------------------------------------------------------------------------------------


def seed(settings: Any, endpoints: int) -> tuple[list[tuple[str, str]], list[tuple[str, str, int]]]:
    """Panels and phones: (login, password) of each, and (panel login, flat number) call targets."""
    panels = max(1, endpoints // 5)
    phones_wanted = endpoints - panels
    lifetime = timedelta(days=30)

    async def work(session: AsyncSession, context: AppContext) -> tuple[list[Any], list[Any], list[Any]]:
        panel_rows, phone_rows, targets = [], [], []
        made = 0
        for index in range(panels):
            login = f"bench-panel-{index}"
            intercom = await intercoms.create(
                session,
                context.secrets,
                IntercomChanges.model_validate(
                    {
                        "title": f"Bench entrance {index}",
                        "vendor": "2n",
                        "flat_from": 1,
                        "flat_to": FLATS_PER_PANEL,
                        "department": 1,
                        "address": "Bench street",
                        "status": "installed",
                        "sip_credentials": {
                            "server": "127.0.0.1",
                            "port": 5060,
                            "login": login,
                            "password": PANEL_PASSWORD,
                        },
                    }
                ),
            )
            panel_rows.append((login, PANEL_PASSWORD))
            for flat_number in range(1, FLATS_PER_PANEL + 1):
                if made >= phones_wanted:
                    break
                account = await accounts.create_account(
                    session, login=f"bench-resident-{made}", password=None, role=Role.resident, name=""
                )
                token = await accounts.issue_token(session, account)
                flat = await flats.get_flat_by_number(session, intercom.id, flat_number)
                await flats.attach_resident(session, flat, account.id)
                await residents.remember_device(session, account.id, "bench-phone", "android-cctv")
                issued = await sip_accounts.issue(
                    session,
                    context.secrets,
                    account_id=account.id,
                    device_uuid="bench-phone",
                    token_id=token.record.id,
                    lifetime=lifetime,
                )
                phone_rows.append((issued.login, issued.password))
                targets.append((login, PANEL_PASSWORD, flat_number))
                made += 1
        return panel_rows, phone_rows, targets

    panel_rows, phone_rows, targets = in_session(settings, work)
    return [*panel_rows, *phone_rows], targets


def _auth(login: str, password: str) -> str:
    return f"[authentication username={login} password={password}]"


def write_csv(path: Path, order: str, rows: list[tuple[Any, ...]]) -> Path:
    with path.open("w", newline="") as handle:
        handle.write(order + "\n")
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerows(rows)
    return path


# -- processes ----------------------------------------------------------------------------------------


@contextmanager
def process(
    command: list[str], env: dict[str, str] | None, log: Path, cwd: Path = ROOT
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_until(ready: Any, what: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.1)


def wait_sampling(procs: dict[str, subprocess.Popen[bytes]], timeout: float) -> dict[str, float]:
    """Wait for these processes to end; the CPU seconds each had used when last seen alive."""
    used = dict.fromkeys(procs, 0.0)
    deadline = time.monotonic() + timeout
    while any(proc.poll() is None for proc in procs.values()) and time.monotonic() < deadline:
        for name, proc in procs.items():
            if proc.poll() is None:
                with suppress(OSError):
                    used[name] = cpu_seconds(proc.pid)
        time.sleep(0.2)
    return used


def sipp_command(
    sipp: str, scenario: Path, *, port: int, rate: float, count: int, stat: str, **extra: Any
) -> list[str]:
    """A SIPp client run: scenario, injected users, rate, number of calls, statistics file."""
    command = [sipp, extra.pop("remote"), "-sf", str(scenario), "-inf", str(extra.pop("users"))]
    command += ["-p", str(port), "-r", f"{rate:g}", "-m", str(count), "-i", "127.0.0.1", "-nostdin"]
    command += ["-trace_err", "-trace_stat", "-fd", "1", "-stf", str(scenario.parent / stat)]
    if extra.pop("rtt", False):
        command += ["-trace_rtt", "-rtt_freq", "1"]
    return command


def api_up(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=1) as reply:  # noqa: S310
            return bool(reply.status == 200)
    except OSError:
        return False


def family_cpu(pid: int) -> float:
    """CPU seconds of a process and its descendants still running (Kamailio's workers)."""
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        try:
            total += cpu_seconds(current)
        except OSError:
            continue
        stack.extend(_children(current))
    return total


def histogram(base: str, route: str) -> dict[str, float]:
    """Cumulative bucket counts (le -> count) of one route in the API's /metrics, all statuses."""
    with urllib.request.urlopen(base + "/metrics", timeout=5) as reply:  # noqa: S310
        text = reply.read().decode()
    buckets: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("entryphone_http_request_duration_seconds_bucket{") and f'route="{route}"' in line:
            labels, value = line.rsplit(" ", 1)
            le = labels.split('le="', 1)[1].split('"', 1)[0]
            buckets[le] = buckets.get(le, 0.0) + float(value)
    return buckets


def bucket_p99(before: dict[str, float], after: dict[str, float]) -> tuple[int, str]:
    """(requests in the window, the upper bound of the bucket holding the 99th percentile)."""
    diff = {le: after.get(le, 0.0) - before.get(le, 0.0) for le in after}
    total = diff.get("+Inf", 0.0)
    if total <= 0:
        return 0, "-"
    for le in sorted((k for k in diff if k != "+Inf"), key=float):
        if diff[le] >= 0.99 * total:
            return int(total), f"<= {float(le) * 1000:g} ms"
    return int(total), "> 10 s"


def sipp_counters(stat_file: Path) -> dict[str, int]:
    """The last line of a SIPp -trace_stat file: successful and failed calls."""
    if not stat_file.exists():
        return {"successful": 0, "failed": 0}
    rows = list(csv.reader(stat_file.open(), delimiter=";"))
    if len(rows) < 2:
        return {"successful": 0, "failed": 0}
    header, last = rows[0], rows[-1]
    value = dict(zip(header, last, strict=False))
    return {
        "successful": int(value.get("SuccessfulCall(C)", 0)),
        "failed": int(value.get("FailedCall(C)", 0)),
    }


def rtt_values(directory: Path) -> list[float]:
    values: list[float] = []
    for path in directory.glob("panel*_rtt.csv"):
        for row in csv.reader(path.open(), delimiter=";"):
            if len(row) >= 2 and row[1].replace(".", "", 1).isdigit():
                values.append(float(row[1]))
    return values


# -- the run ------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    sipp = shutil.which("sipp")
    if sipp is None:
        raise SystemExit("sipp is not installed: apt-get install sip-tester (Debian's package of sipp)")
    with fresh_database(args.backend, args.database_url) as (url, workdir):
        console.print(f"seeding {args.endpoints} endpoints on {args.backend}")
        settings = settings_for(url, workdir)
        endpoints, targets = seed(settings, args.endpoints)
        api_port, sip_port = free_port(), free_block(2)
        uas_port, reg_port, call_port = free_block(2), free_block(2), free_block(2)
        env = child_env(
            settings,
            port=api_port,
            supervisor_enabled="false",
            sip_domain=DOMAIN,
            sip_children=args.children,
            sip_ring_seconds=30,
        )
        scenarios = workdir / "sipp"
        scenarios.mkdir()
        for name, template in (("register", REGISTER), ("panel", PANEL), ("phones", PHONES)):
            text = template.format(domain=DOMAIN, expires=args.expires, sdp=SDP)
            (scenarios / f"{name}.xml").write_text(text)
        # Phones' contacts point at the SIPp UAS; panels' at a port nobody calls.
        # SIPp expands an [authentication ...] keyword found in an injected field.
        users = [(login, _auth(login, password), uas_port) for login, password in endpoints]
        write_csv(scenarios / "users.csv", "SEQUENTIAL", users)
        call_rows = [(panel, _auth(panel, password), flat) for panel, password, flat in targets]
        write_csv(scenarios / "calls.csv", "RANDOM", random.sample(call_rows, len(call_rows)))
        base = f"http://127.0.0.1:{api_port}"
        serve = [sys.executable, "-m", "entryphone", "serve", "--port", str(api_port)]
        sip = [sys.executable, "-m", "entryphone", "sip", "--port", str(sip_port), "--node", "bench"]
        remote = f"127.0.0.1:{sip_port}"
        with (
            process(serve, env, workdir / "api.log") as api,
            process(sip, env, workdir / "kamailio.log") as kamailio,
        ):
            wait_until(lambda: api_up(base), "the API", api)
            wait_until(lambda: sip_options_ok(sip_port), "Kamailio", kamailio)
            console.print(f"registering {len(users)} endpoints at {args.reg_rate}/s")
            started = time.monotonic()
            register = sipp_command(
                sipp,
                scenarios / "register.xml",
                remote=remote,
                users=scenarios / "users.csv",
                port=reg_port,
                rate=args.reg_rate,
                count=len(users),
                stat="initial_register_stat.csv",
            )
            subprocess.run(register, cwd=scenarios, capture_output=True, check=False)
            initial = sipp_counters(scenarios / "initial_register_stat.csv")
            initial_seconds = time.monotonic() - started
            console.print(
                f"registered {initial['successful']} ({initial['failed']} failed) in {initial_seconds:.1f} s"
            )

            refresh_rate = max(1.0, len(users) / args.expires)
            calls_total = int(args.rate * args.seconds)
            with process(
                [
                    sipp,
                    "-sf",
                    str(scenarios / "phones.xml"),
                    "-p",
                    str(uas_port),
                    "-i",
                    "127.0.0.1",
                    "-nostdin",
                ],
                None,
                workdir / "sipp-phones.log",
                scenarios,
            ) as phones:
                time.sleep(0.5)
                route_before, ha1_before = (
                    histogram(base, "/internal/sip/route"),
                    histogram(base, "/internal/sip/ha1"),
                )
                pids = {"api": api.pid, "kamailio": kamailio.pid}
                cpu_before = {name: family_cpu(pid) for name, pid in pids.items()}
                window = time.monotonic()
                refresh_command = sipp_command(
                    sipp,
                    scenarios / "register.xml",
                    remote=remote,
                    users=scenarios / "users.csv",
                    port=reg_port,
                    rate=refresh_rate,
                    count=int(refresh_rate * args.seconds),
                    stat="refresh_register_stat.csv",
                )
                panels_command = sipp_command(
                    sipp,
                    scenarios / "panel.xml",
                    remote=remote,
                    users=scenarios / "calls.csv",
                    port=call_port,
                    rate=args.rate,
                    count=calls_total,
                    stat="calls_stat.csv",
                    rtt=True,
                )
                with (
                    process(refresh_command, None, workdir / "sipp-refresh.log", scenarios) as refresh,
                    process(panels_command, None, workdir / "sipp-panels.log", scenarios) as panels,
                ):
                    sipp_cpu = wait_sampling(
                        {"sipp panels": panels, "sipp refresh": refresh}, args.seconds + 120
                    )
                    elapsed = time.monotonic() - window
                cpu_after = {name: family_cpu(pid) for name, pid in pids.items()}
                sipp_cpu["sipp phones"] = family_cpu(phones.pid)
                route_after, ha1_after = (
                    histogram(base, "/internal/sip/route"),
                    histogram(base, "/internal/sip/ha1"),
                )
        calls = sipp_counters(scenarios / "calls_stat.csv")
        refreshes = sipp_counters(scenarios / "refresh_register_stat.csv")
        setup = rtt_values(scenarios)
        route_count, route_p99 = bucket_p99(route_before, route_after)
        ha1_count, ha1_p99 = bucket_p99(ha1_before, ha1_after)
        cpu = {name: round(cpu_after[name] - cpu_before[name], 2) for name in pids}
        return {
            "backend": args.backend,
            "endpoints": len(users),
            "initial_registration": {**initial, "seconds": round(initial_seconds, 1)},
            "window_seconds": round(elapsed, 1),
            "calls": {**calls, "attempted": calls_total, "rate": args.rate},
            "refresh_registrations": {**refreshes, "rate": round(refresh_rate, 2)},
            "call_setup_ms": {
                "count": len(setup),
                "p50": round(percentile(setup, 50), 1) if setup else None,
                "p99": round(percentile(setup, 99), 1) if setup else None,
            },
            "routing_endpoint": {"requests": route_count, "p99": route_p99},
            "ha1_endpoint": {"requests": ha1_count, "p99": ha1_p99},
            "cpu_seconds": {**cpu, **{k: round(v, 2) for k, v in sipp_cpu.items() if v}},
            "cpu_share_of_one_core": {name: round(value / elapsed, 2) for name, value in cpu.items()},
            "logs": str(workdir),
        }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--database-url", default=None, help="an existing, empty database (migrated here)")
    parser.add_argument("--endpoints", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=20.0, help="new calls per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--expires", type=int, default=600, help="registration cycle (s)")
    parser.add_argument("--reg-rate", type=float, default=200.0, help="initial registrations per second")
    parser.add_argument("--children", type=int, default=8, help="Kamailio UDP workers")
    args = parser.parse_args()
    result = run(args)
    setup, calls = result["call_setup_ms"], result["calls"]
    registered, refreshed = result["initial_registration"], result["refresh_registrations"]
    route, ha1 = result["routing_endpoint"], result["ha1_endpoint"]
    rows = [
        ["endpoints registered", f"{registered['successful']} / {result['endpoints']}"],
        ["initial registration", f"{registered['seconds']} s"],
        [
            "calls ok / failed / attempted",
            f"{calls['successful']} / {calls['failed']} / {calls['attempted']}",
        ],
        ["re-registrations ok / failed", f"{refreshed['successful']} / {refreshed['failed']}"],
        [
            "call setup p50 / p99 (target p99 < 100 ms)",
            f"{setup['p50']} / {setup['p99']} ms ({setup['count']})",
        ],
        ["routing endpoint p99 (target < 10 ms)", f"{route['p99']} ({route['requests']} requests)"],
        ["HA1 endpoint p99", f"{ha1['p99']} ({ha1['requests']} requests)"],
    ]
    rows += [[f"CPU s: {name}", value] for name, value in result["cpu_seconds"].items()]
    title = (
        f"calls: {result['endpoints']} endpoints, {args.rate}/s, {result['window_seconds']} s, {args.backend}"
    )
    report("calls", title, ["figure", "value"], rows, result)


if __name__ == "__main__":
    main()
