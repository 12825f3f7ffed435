"""The address a request comes from: the TCP peer, or behind a trusted reverse proxy the address the
proxy reports in the configured forwarded header. The header is read only when the peer is one of
`ENTRYPHONE_TRUSTED_PROXIES`; otherwise anyone could claim any address with it."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from starlette.requests import HTTPConnection

from entryphone.config import Settings


def client_address(connection: HTTPConnection, settings: Settings) -> str | None:
    """None when the peer has no IP address (a Unix socket): such callers are not counted together."""
    peer = _parse(connection.client.host if connection.client else "")
    if peer is None:
        return None
    trusted = settings.trusted_proxy_networks()
    if not _within(peer, trusted):
        return str(peer)
    name = settings.forwarded_header.lower()
    hops = [
        hop
        for value in connection.headers.getlist(name)
        for hop in (_forwarded_for(value) if name == "forwarded" else value.split(","))
    ]
    # Walk from the nearest hop outwards: the first address not of our proxies is the client. Hops
    # further out were written by the client itself and prove nothing.
    found = peer
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break
        found = address
        if not _within(address, trusted):
            break
    return str(found)


def _forwarded_for(value: str) -> list[str]:
    """The `for=` values of an RFC 7239 `Forwarded` header, in order."""
    hops = []
    for element in value.split(","):
        for pair in element.split(";"):
            key, _, item = pair.strip().partition("=")
            if key.lower() == "for":
                item = item.strip().strip('"')
                if item.startswith("["):  # [2001:db8::1]:port
                    item = item[1:].split("]", 1)[0]
                elif item.count(":") == 1:  # 192.0.2.1:port
                    item = item.split(":", 1)[0]
                hops.append(item)
    return hops


def _parse(text: str) -> IPv4Address | IPv6Address | None:
    try:
        address = ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _within(address: IPv4Address | IPv6Address, networks: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    return any(address.version == network.version and address in network for network in networks)
