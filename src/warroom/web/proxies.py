"""The client's address behind reverse proxies (WARROOM_TRUSTED_PROXIES).

The failed-login throttle and the request log key on the client's address. Behind a reverse proxy the peer is
the proxy, so one visitor's failures would lock out everyone; but X-Forwarded-For is written by the client
too, so it is believed only from a proxy named in the setting, and then only as far as that proxy's chain goes:
the rightmost address that is not itself a trusted proxy is the client (anything left of it may be forged)."""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Any

Network = IPv4Network | IPv6Network


def parse_networks(raw: str) -> tuple[Network, ...]:
    """`10.0.0.0/8, 192.0.2.7, ::1` -> networks. A wrong entry stops the start-up, naming it."""
    nets = []
    for item in raw.replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            nets.append(ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"WARROOM_TRUSTED_PROXIES: {item!r} is not an IP address or network") from None
    return tuple(nets)


def _trusted(address: str, nets: Sequence[Network]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in nets)


def client_address(peer: str, forwarded_for: Sequence[str], nets: Sequence[Network]) -> str:
    """The client's address: `peer` unless it is a trusted proxy; then, walking X-Forwarded-For from the right,
    the first address that is not a trusted proxy (a malformed entry ends the walk at the last good hop)."""
    if not nets or not forwarded_for or not _trusted(peer, nets):
        return peer
    hops = [h.strip() for value in forwarded_for for h in value.split(",")]
    client = peer
    for hop in reversed(hops):
        try:
            hop = str(ip_address(hop))
        except ValueError:
            break
        client = hop
        if not _trusted(hop, nets):
            break
    return client


class TrustedProxies:
    """Pure ASGI middleware: `scope["client"]` becomes the real client when the peer is a trusted proxy."""

    def __init__(self, app: Any, networks: Sequence[Network]) -> None:
        self.app = app
        self.networks = tuple(networks)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket") and scope.get("client"):
            forwarded = [v.decode("latin-1") for k, v in scope["headers"] if k == b"x-forwarded-for"]
            if forwarded:
                peer, port = scope["client"]
                real = client_address(peer, forwarded, self.networks)
                if real != peer:
                    scope["client"] = (real, port)
        await self.app(scope, receive, send)
