"""The private-address guard: which URLs and addresses Tidings may contact.

Every outbound request goes through :func:`check_url` before it is sent and
through :func:`resolve_checked` when the TCP connection is opened, so an
address is checked twice: once from the URL, and once more as the very list
of IPs the connection is then made to (no DNS-rebinding window).

Host spellings that C resolvers accept as IPv4 (``2130706433``, ``0x7f.1``,
``127.1``, ``0177.0.0.1``) are parsed here the way browsers parse them
(WHATWG URL standard), and are never handed to the system resolver.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from tidings.core.errors import BlockedURLError, DNSError, InvalidURLError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

ALLOWED_SCHEMES = frozenset({"http", "https"})

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# (network, human description). Order matters: the first match names the reason.
_BLOCKED_V4: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_V4("0.0.0.0/8"), "an unspecified ('this network') address"),
    (_V4("127.0.0.0/8"), "a loopback address"),
    (_V4("169.254.0.0/16"), "a link-local address"),
    (_V4("10.0.0.0/8"), "a private address"),
    (_V4("172.16.0.0/12"), "a private address"),
    (_V4("192.168.0.0/16"), "a private address"),
    (_V4("100.64.0.0/10"), "a carrier-grade NAT (shared) address"),
    (_V4("224.0.0.0/4"), "a multicast address"),
    (_V4("240.0.0.0/4"), "a reserved address"),
    (_V4("192.0.0.0/24"), "a reserved (IETF protocol) address"),
    (_V4("192.0.2.0/24"), "a reserved (documentation) address"),
    (_V4("198.51.100.0/24"), "a reserved (documentation) address"),
    (_V4("203.0.113.0/24"), "a reserved (documentation) address"),
    (_V4("198.18.0.0/15"), "a reserved (benchmarking) address"),
    (_V4("192.88.99.0/24"), "a reserved (6to4 relay) address"),
)

_BLOCKED_V6: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (_V6("::/128"), "an unspecified address"),
    (_V6("::1/128"), "a loopback address"),
    (_V6("fe80::/10"), "a link-local address"),
    (_V6("fc00::/7"), "a unique-local (private) address"),
    (_V6("fec0::/10"), "a site-local (private) address"),
    (_V6("ff00::/8"), "a multicast address"),
    (_V6("100::/64"), "a discard-only address"),
    (_V6("2001:db8::/32"), "a reserved (documentation) address"),
    (_V6("2001:10::/28"), "a reserved (ORCHID) address"),
)

# IPv6 prefixes that carry an IPv4 address in their low (or, for 6to4, high) bits.
_MAPPED = _V6("::ffff:0:0/96")
_COMPAT = _V6("::/96")
_NAT64 = _V6("64:ff9b::/96")
_NAT64_LOCAL = _V6("64:ff9b:1::/48")
_SIX_TO_FOUR = _V6("2002::/16")


def _embedded_v4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, str] | None:
    """The IPv4 address an IPv6 address stands for, with the name of the form."""
    if ip in _MAPPED:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "IPv4-mapped"
    if ip in _COMPAT and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "IPv4-compatible"
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "NAT64"
    if ip in _SIX_TO_FOUR:
        return ipaddress.IPv4Address((int(ip) >> 80) & 0xFFFFFFFF), "6to4"
    return None


def blocked_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be contacted (e.g. "a link-local address"), or None if it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_v4(ip)
        if embedded is not None:
            v4, form = embedded
            inner = blocked_reason(v4)
            if inner is not None:
                article = "an" if form[0] in "AEIOU" else "a"
                return f"{article} {form} form of {v4}, {inner}"
            return None
        for net6, why in _BLOCKED_V6:
            if ip in net6:
                return why
    else:
        for net4, why in _BLOCKED_V4:
            if ip in net4:
                return why
    if not ip.is_global:
        return "a non-public (reserved) address"
    return None


# --- host parsing -----------------------------------------------------------


def _parse_v4_part(part: str) -> int | None:
    """One dotted part in decimal, octal (leading 0) or hex (0x); None if not numeric."""
    if not part:
        return None
    try:
        if part[:2].lower() == "0x":
            return int(part[2:], 16) if part[2:] else 0
        if len(part) > 1 and part[0] == "0":
            return int(part[1:], 8)
        if part.isdigit():
            return int(part, 10)
    except ValueError:
        return None
    return None


def parse_ipv4_host(host: str) -> ipaddress.IPv4Address | None:
    """Parse every IPv4 spelling the WHATWG URL standard (and ``inet_aton``) accepts.

    Returns None when ``host`` is not an IPv4 spelling at all (a host name).
    Raises InvalidURLError for a numeric-looking host that is not a valid
    address (e.g. ``256.256.256.256``), which browsers also reject.
    """
    parts = host.split(".")
    if parts and parts[-1] == "" and len(parts) > 1:
        parts = parts[:-1]
    # A host is an IPv4 spelling when its last label is numeric (WHATWG "ends in a number").
    if not parts or _parse_v4_part(parts[-1]) is None:
        return None
    if len(parts) > 4:
        raise InvalidURLError(f"invalid IPv4 address in host {host!r}")
    numbers: list[int] = []
    for part in parts:
        value = _parse_v4_part(part)
        if value is None:
            raise InvalidURLError(f"invalid IPv4 address in host {host!r}")
        numbers.append(value)
    *head, tail = numbers
    if any(n > 255 for n in head) or tail >= 256 ** (5 - len(numbers)):
        raise InvalidURLError(f"invalid IPv4 address in host {host!r}")
    value = tail
    for index, number in enumerate(head):
        value += number * 256 ** (3 - index)
    return ipaddress.IPv4Address(value)


def parse_ip_host(host: str) -> IPAddress | None:
    """The IP a URL host denotes, in any spelling, or None for a host name."""
    text = host.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        text = text.split("%", 1)[0]  # zone id: fe80::1%eth0
        try:
            return ipaddress.IPv6Address(text)
        except ValueError as exc:
            raise InvalidURLError(f"invalid IPv6 address in host {host!r}") from exc
    return parse_ipv4_host(text)


def _norm_name(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


# --- allow-list ---------------------------------------------------------------


_PORTED = re.compile(r"^(?:\[(?P<v6>[^\]]+)\]|(?P<host>[^:\[\]]+)):(?P<port>\d{1,5})$")


@dataclass(frozen=True)
class AllowList:
    """Host names, addresses and networks exempt from the guard.

    Entries: ``news.example``, ``127.0.0.1``, ``10.0.0.0/8``, ``::1``, or any
    host or address with a port (``127.0.0.1:8765``, ``[::1]:8080``) to exempt
    that port only. An address entry also covers names resolving to it.
    """

    names: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()
    ported: frozenset[tuple[str, int]] = frozenset()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        names: set[str] = set()
        networks: list[IPNetwork] = []
        ported: set[tuple[str, int]] = set()
        for raw in entries:
            entry = raw.strip()
            if not entry:
                continue
            match = _PORTED.match(entry)
            if match is not None:
                host = match.group("v6") or match.group("host")
                ported.add((_canonical(host), int(match.group("port"))))
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            try:
                ip = parse_ip_host(entry)
            except InvalidURLError:
                ip = None
            if ip is not None:
                networks.append(ipaddress.ip_network(ip))
            else:
                names.add(_norm_name(entry))
        return cls(frozenset(names), tuple(networks), frozenset(ported))

    def allows_name(self, host: str, port: int | None = None) -> bool:
        name = _norm_name(host)
        return name in self.names or (name, port) in self.ported

    def allows_ip(self, ip: IPAddress, port: int | None = None) -> bool:
        candidates: list[IPAddress] = [ip]
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            candidates.append(ip.ipv4_mapped)
        if any((str(c), port) in self.ported for c in candidates):
            return True
        return any(
            c in net for c in candidates for net in self.networks if c.version == net.version
        )


def _canonical(host: str) -> str:
    """An address entry in its canonical form, a name lower-cased."""
    try:
        ip = parse_ip_host(host)
    except InvalidURLError:
        ip = None
    return str(ip) if ip is not None else _norm_name(host)


def _refusal(shown: str, why: str, url: str | None) -> BlockedURLError:
    return BlockedURLError(
        f"refused: {shown} is {why} (set TIDINGS_ALLOW_HOSTS to allow it)",
        url=url,
    )


def check_ip(
    ip: IPAddress,
    allow: AllowList,
    *,
    host: str,
    port: int | None = None,
    url: str | None = None,
) -> None:
    """Raise BlockedURLError unless ``ip`` is public or allowed."""
    if allow.allows_ip(ip, port):
        return
    why = blocked_reason(ip)
    if why is not None:
        name = _norm_name(host)
        literal_v6 = ":" in name
        shown = name if name == str(ip) or literal_v6 else f"{name} ({ip})"
        raise _refusal(shown, why, url)


# --- resolution -------------------------------------------------------------------


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (raises OSError on failure)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for _family, _type, _proto, _canon, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]).split("%", 1)[0], None)
    return list(seen)


def resolve_checked(
    host: str,
    port: int,
    allow: AllowList,
    resolver: Resolver,
    *,
    url: str | None = None,
) -> list[str]:
    """The addresses to connect to for ``host``, every one of them checked.

    Raises BlockedURLError if the host or any resolved address is refused,
    DNSError if the name does not resolve.
    """
    literal = parse_ip_host(host)
    if literal is not None:
        check_ip(literal, allow, host=host, port=port, url=url)
        return [str(literal)]
    name = _norm_name(host)
    name_allowed = allow.allows_name(name, port)
    if not name_allowed and (name == "localhost" or name.endswith(".localhost")):
        raise _refusal(name, "a loopback name", url)
    try:
        answers = resolver(name, port)
    except (OSError, UnicodeError) as exc:
        raise DNSError(f"cannot resolve host {name!r}: {exc}", url=url) from exc
    if not answers:
        raise DNSError(f"host {name!r} has no address", url=url)
    addresses: list[str] = []
    for answer in answers:
        try:
            ip = ipaddress.ip_address(answer.split("%", 1)[0])
        except ValueError as exc:
            raise DNSError(f"resolver returned a bad address {answer!r} for {name!r}") from exc
        if not name_allowed:
            check_ip(ip, allow, host=name, port=port, url=url)
        addresses.append(str(ip))
    return addresses


def parse_url(url: str) -> httpx.URL:
    """Parse ``url``; raise InvalidURLError if it is not an absolute http(s) URL."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise InvalidURLError(f"invalid URL: {exc}", url=str(url)) from exc
    if parsed.scheme not in ALLOWED_SCHEMES:
        shown = parsed.scheme or "(none)"
        raise InvalidURLError(
            f"unsupported URL scheme {shown!r}: only http and https are fetched", url=str(url)
        )
    if not parsed.host:
        raise InvalidURLError("URL has no host", url=str(url))
    return parsed


def _literal_host(url: str) -> tuple[str, IPAddress, int] | None:
    try:
        parts = urlsplit(url.strip())
        raw_host = parts.hostname
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        return None
    if not raw_host or parts.scheme.lower() not in ALLOWED_SCHEMES:
        return None
    try:
        ip = parse_ip_host(raw_host)
    except InvalidURLError:
        return None
    return (raw_host, ip, port) if ip is not None else None


def check_url(
    url: str,
    allow: AllowList,
    *,
    resolver: Resolver | None = None,
) -> httpx.URL:
    """Check ``url`` without connecting; resolve its host too when ``resolver`` is given.

    Returns the parsed URL. Raises InvalidURLError, BlockedURLError or DNSError.
    """
    early = _literal_host(url)
    if early is not None:
        # Refuse odd IPv4 spellings (0177.0.0.1) before any URL library gets a say.
        raw_host, ip, raw_port = early
        check_ip(ip, allow, host=raw_host, port=raw_port, url=url)
    parsed = parse_url(url)
    host = parsed.host
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    literal = parse_ip_host(host)
    if literal is not None:
        check_ip(literal, allow, host=host, port=port, url=url)
        return parsed
    if allow.allows_name(host, port):
        return parsed
    name = _norm_name(host)
    if name == "localhost" or name.endswith(".localhost"):
        raise _refusal(name, "a loopback name", url)
    if resolver is not None:
        resolve_checked(host, port, allow, resolver, url=url)
    return parsed
