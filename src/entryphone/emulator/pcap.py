"""A capture of the panel's own HTTP exchanges as a pcap file (LINKTYPE_ETHERNET, IPv4/TCP).

Each exchange is written as the TCP segments that carried it: request from the client, reply
from the panel, with sequence numbers continuing per connection and real checksums, so
Wireshark reassembles the HTTP conversation. Capture is off after boot until pcap/restart.
"""

from __future__ import annotations

import ipaddress
import struct
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Final

CAPTURE_LIMIT: Final = 2 * 1024 * 1024  # bytes of packets kept; the oldest go first
MSS: Final = 1460
_CLIENT_MAC: Final = bytes.fromhex("020000000001")
_GLOBAL_HEADER: Final = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)


@dataclass(slots=True)
class _Connection:
    client_seq: int
    server_seq: int


@dataclass(slots=True)
class PcapRecorder:
    server_mac: bytes = bytes.fromhex("7c1eb3000000")
    running: bool = False
    _packets: deque[bytes] = field(default_factory=deque)
    _size: int = 0
    _connections: dict[tuple[str, int], _Connection] = field(default_factory=dict)
    _ip_id: int = 0

    def restart(self) -> None:
        self._packets.clear()
        self._size = 0
        self._connections.clear()
        self.running = True

    def stop(self) -> None:
        self.running = False

    def file(self) -> bytes:
        return _GLOBAL_HEADER + b"".join(self._packets)

    def record(self, client: tuple[str, int], server: tuple[str, int], request: bytes, reply: bytes) -> None:
        if not self.running or not _ipv4(client[0]) or not _ipv4(server[0]):
            return
        connection = self._connections.get(client)
        if connection is None:
            connection = _Connection(client_seq=1000, server_seq=5000)
            self._connections[client] = connection
            self._segment(client, server, connection.client_seq - 1, 0, 0x02, b"", True)  # SYN
            self._segment(server, client, connection.server_seq - 1, connection.client_seq, 0x12, b"", False)
            self._segment(client, server, connection.client_seq, connection.server_seq, 0x10, b"", True)
        for offset in range(0, len(request), MSS):
            chunk = request[offset : offset + MSS]
            self._segment(client, server, connection.client_seq, connection.server_seq, 0x18, chunk, True)
            connection.client_seq += len(chunk)
        for offset in range(0, len(reply), MSS):
            chunk = reply[offset : offset + MSS]
            self._segment(server, client, connection.server_seq, connection.client_seq, 0x18, chunk, False)
            connection.server_seq += len(chunk)
        self._segment(client, server, connection.client_seq, connection.server_seq, 0x10, b"", True)

    def _segment(
        self,
        source: tuple[str, int],
        target: tuple[str, int],
        seq: int,
        ack: int,
        flags: int,
        payload: bytes,
        to_server: bool,
    ) -> None:
        src_ip = ipaddress.IPv4Address(source[0]).packed
        dst_ip = ipaddress.IPv4Address(target[0]).packed
        tcp = struct.pack(
            "!HHIIBBHHH", source[1], target[1], seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0
        )
        pseudo = src_ip + dst_ip + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
        tcp = tcp[:16] + struct.pack("!H", _checksum(pseudo + tcp + payload)) + tcp[18:]
        self._ip_id = (self._ip_id + 1) & 0xFFFF
        ip = struct.pack(
            "!BBHHHBBH4s4s",
            0x45,
            0,
            20 + len(tcp) + len(payload),
            self._ip_id,
            0x4000,
            64,
            6,
            0,
            src_ip,
            dst_ip,
        )
        ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
        # Ethernet: destination MAC first.
        macs = (self.server_mac + _CLIENT_MAC) if to_server else (_CLIENT_MAC + self.server_mac)
        frame = macs + b"\x08\x00" + ip + tcp + payload
        now = time.time()
        record = struct.pack("<IIII", int(now), int((now % 1) * 1_000_000), len(frame), len(frame)) + frame
        self._packets.append(record)
        self._size += len(record)
        while self._size > CAPTURE_LIMIT and self._packets:
            self._size -= len(self._packets.popleft())


def _ipv4(address: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(address), ipaddress.IPv4Address)
    except ValueError:
        return False


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF
