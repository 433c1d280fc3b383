"""The outbound destination guard: where the server may connect when it sends a notification.

Contact methods are written by responders, so their URLs are untrusted. Every connection the notification
channels open is checked on the address actually connected to, after name resolution (so a name that
resolves, or re-resolves, to an internal address is refused): loopback, link-local, private (RFC 1918),
unique-local (fc00::/7), unspecified, multicast, other non-global ranges and cloud metadata endpoints are
refused unless `WARROOM_OUTBOUND_ALLOW` names them. httpx (webhooks, Slack, Teams) gets a network backend
that checks; Apprise (which uses `requests`) is checked inside `guard_urllib3()`. Redirects are not followed
by httpx; `requests` follows them, and each hop opens a new, checked connection. See docs/outbound.md."""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import httpcore
import httpx

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Net = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA_IPS = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200"))  # AWS/GCP/Azure, ECS, Alibaba
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data", "instance-data.ec2.internal"})
UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Other IPv6 ranges that carry an IPv4 address in their last 32 bits: local-use NAT64 (RFC 8215), SIIT
# IPv4-translated, and the deprecated IPv4-compatible ::a.b.c.d (:: and ::1 are judged as themselves).
EMBEDDING = (NAT64, ipaddress.ip_network("64:ff9b:1::/48"), ipaddress.ip_network("::ffff:0:0:0/96"),
             ipaddress.ip_network("::/96"))


class DestinationRefused(Exception):  # noqa: N818 - the name is what `last_error` shows
    """A connection the outbound policy does not allow. Not an OSError, so HTTP clients do not turn it into a
    generic connection error and the delivery attempt records why."""


class DeliveryFailed(Exception):  # noqa: N818 - the name is what `last_error` shows
    """The destination answered, but not with success. The message is ours: a status, never the destination
    (a URL is a secret) nor its answer."""


def refusal(ip: IP) -> str | None:
    """Why `ip` is not a public destination ("loopback", "private", ...), or None when it is."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (
            ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
            if int(ip) > 1 and any(ip in net for net in EMBEDDING) else None)
        if embedded is not None:
            return refusal(embedded)
    if ip in METADATA_IPS:
        return "cloud metadata"
    for name, hit in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
                      ("unspecified", ip.is_unspecified), ("multicast", ip.is_multicast),
                      ("unique-local", ip.version == 6 and ip in UNIQUE_LOCAL),
                      ("site-local", ip.version == 6 and ip.is_site_local), ("private", ip.is_private),
                      ("non-public", not ip.is_global)):
        if hit:
            return name
    return None


def literal_ip(host: str) -> IP | None:
    """`host` as an IP address when it is one, in any form a resolver accepts (127.1, 0x7f000001, 2130706433)."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host) and host[0].isdigit():
        with contextlib.suppress(OSError):
            return ipaddress.IPv4Address(socket.inet_aton(host))
    return None


@dataclass(frozen=True)
class Allowed:
    """One allow-list entry: a network (CIDR or address) or a host name, optionally with a port."""

    network: Net | None
    host: str | None
    port: int | None

    @classmethod
    def parse(cls, raw: str) -> Allowed:
        text, port = raw.strip(), None
        if text.startswith("["):  # [v6]:port
            inner, _, rest = text[1:].partition("]")
            text, port = inner, int(rest[1:]) if rest.startswith(":") else None
        elif text.count(":") == 1:  # host:port or v4:port
            text, _, p = text.partition(":")
            port = int(p)
        try:
            return cls(ipaddress.ip_network(text, strict=False), None, port)
        except ValueError:
            if not text or "/" in text:
                raise ValueError(f"not a CIDR, address or host name: {raw!r}") from None
            return cls(None, text.lower().rstrip("."), port)

    def matches(self, host: str, port: int, ip: IP | None) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.host is not None:
            return self.host == host.lower().rstrip(".")
        assert self.network is not None
        if ip is None or ip.version != self.network.version or ip not in self.network:
            return False
        # A cloud metadata address is only reached when an entry names exactly that address.
        return ip not in METADATA_IPS or self.network.num_addresses == 1


@dataclass(frozen=True)
class Policy:
    allow: tuple[Allowed, ...] = ()
    apprise_schemes: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, allow: str, apprise_schemes: str) -> Policy:
        return cls(tuple(Allowed.parse(x) for x in allow.split(",") if x.strip()),
                   frozenset(s.strip().lower() for s in apprise_schemes.split(",") if s.strip()))

    def allowed(self, host: str, port: int, ip: IP | None) -> bool:
        return any(a.matches(host, port, ip) for a in self.allow)

    def check_host(self, host: str, port: int) -> str | None:
        """At creation: why `host` is obviously forbidden (a literal internal address or a metadata or
        loopback name), or None. Names are only checked for real when connecting."""
        name = host.lower().strip("[]").rstrip(".")
        ip = literal_ip(name)
        if self.allowed(name, port, ip):
            return None
        if ip is not None:
            why = refusal(ip)
            return f"{why} address {ip} is not allowed" if why else None
        if name in METADATA_HOSTS:
            return f"{name} is a cloud metadata endpoint"
        if name == "localhost" or name.endswith(".localhost"):
            return f"{name} is a loopback name"
        return None

    def resolve(self, host: str, port: int) -> list[tuple[Any, ...]]:
        """getaddrinfo for a TCP connection to host:port, refused unless every address it gives is allowed."""
        if self.allowed(host, port, None):  # an allowed host name: its addresses are trusted
            return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        if host.lower().rstrip(".") in METADATA_HOSTS:
            raise DestinationRefused(f"{host} is a cloud metadata endpoint")
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        for info in infos:
            ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            why = refusal(ip)
            if why and not self.allowed(host, port, ip):
                # Everyone who reads notifications reads this: for a name, say what kind of address it
                # resolves to, not which (a responder could otherwise map internal names to addresses).
                what = f"{why} address {ip} is" if literal_ip(host) is not None else \
                    f"{host} resolves to a {why} address, which is"
                raise DestinationRefused(f"{what} not allowed (WARROOM_OUTBOUND_ALLOW)")
        return infos

    def connect(self, host: str, port: int, connect: Any) -> Any:
        """Resolve and check host:port, then `connect(ip, port)` to each checked address until one answers."""
        last: OSError | None = None
        for info in self.resolve(host, port):
            try:
                return connect(info[4][0], port)
            except OSError as exc:
                last = exc
        raise last or OSError(f"no address for {host}")


@lru_cache(maxsize=8)
def policy(allow: str, apprise_schemes: str) -> Policy:
    return Policy.parse(allow, apprise_schemes)


def policy_of(settings: Any) -> Policy:
    """The policy configured by WARROOM_OUTBOUND_ALLOW and WARROOM_APPRISE_SCHEMES (platform/settings.py)."""
    return policy(settings.outbound_allow, settings.apprise_schemes)


# -- httpx ----------------------------------------------------------------------------------------------

class _Backend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting only to the addresses the policy allows."""

    def __init__(self, guard: Policy) -> None:
        self.guard = guard

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        return self.guard.connect(host, port, lambda ip, p: super(_Backend, self).connect_tcp(
            ip, p, timeout=timeout, local_address=local_address, socket_options=socket_options))


def http_client(guard: Policy, timeout: float = 10.0) -> httpx.Client:
    """An httpx client whose every connection is checked; no redirects, no proxies from the environment."""
    transport = httpx.HTTPTransport(trust_env=False)
    # httpx has no public hook for the network backend; its connection pool takes one (httpcore API).
    # tests/integration/test_outbound_guard.py fails if this stops taking effect.
    transport._pool._network_backend = _Backend(guard)  # noqa: SLF001
    return httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False)


# -- requests / urllib3 (Apprise) -----------------------------------------------------------------------

_active: contextvars.ContextVar[tuple[Policy, list[DestinationRefused]] | None] = contextvars.ContextVar(
    "warroom_outbound", default=None)
_installed = False
_install_lock = threading.Lock()


def _install_urllib3_hook() -> None:
    """Route urllib3's connections through the policy active in the calling context (none: unchanged).
    Apprise calls `requests` directly, so this is the one place its connections can be checked."""
    global _installed
    with _install_lock:
        if not _installed:
            _wrap_urllib3()
            _installed = True


def _wrap_urllib3() -> None:
    from urllib3.util import connection

    original = connection.create_connection

    def create_connection(address: tuple[str, int], *args: Any, **kw: Any) -> socket.socket:
        active = _active.get()
        if active is None:
            return original(address, *args, **kw)
        guard, refused = active
        try:
            return guard.connect(address[0], address[1], lambda ip, p: original((ip, p), *args, **kw))
        except DestinationRefused as exc:
            refused.append(exc)
            raise

    connection.create_connection = create_connection


@contextlib.contextmanager
def guard_urllib3(guard: Policy) -> Iterator[list[DestinationRefused]]:
    """Within the block (and threads started with a copy of its context), urllib3 connects only where
    `guard` allows. Yields the refusals seen, for the caller to report."""
    _install_urllib3_hook()
    refused: list[DestinationRefused] = []
    token = _active.set((guard, refused))
    try:
        yield refused
    finally:
        _active.reset(token)
