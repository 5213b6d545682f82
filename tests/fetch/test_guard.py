"""The private-address guard, without any network."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tidings.core import _netguard
from tidings.core.errors import BlockedURLError, DNSError, InvalidURLError
from tidings.core.fetch import check_url

REFUSED = [
    "http://127.0.0.1/",
    "http://127.0.0.1:8080/feed.xml",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://172.31.255.255/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://224.0.0.251/",
    "http://0.0.0.0/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://[::1]/",
    "http://[::]/",
    "http://[fd12:3456::1]/",
    "http://[fe80::1]/",
    "http://[ff02::1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:a9fe:a9fe::]/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7f.1/",
    "http://127.1/",
    "http://0177.0.0.1/",
    "http://0177.1/",
    "http://127.0.0.1./",
    "http://0xa9.0xfe.0xa9.0xfe/",
    "http://2852039166/",
    "http://localhost/",
    "http://LocalHost./",
    "http://api.localhost/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_non_public_addresses_are_refused_without_resolving(url: str) -> None:
    with pytest.raises(BlockedURLError) as info:
        check_url(url, resolve=False)
    assert info.value.code == "blocked_url"
    assert "TIDINGS_ALLOW_HOSTS" in info.value.message


def test_metadata_address_message_is_clear() -> None:
    with pytest.raises(BlockedURLError) as info:
        check_url("http://169.254.169.254/")
    assert info.value.message == (
        "refused: 169.254.169.254 is a link-local address (set TIDINGS_ALLOW_HOSTS to allow it)"
    )


def test_odd_spelling_message_names_the_real_address() -> None:
    with pytest.raises(BlockedURLError, match=r"2130706433 \(127\.0\.0\.1\) is a loopback"):
        check_url("http://2130706433/")
    with pytest.raises(
        BlockedURLError, match=r"IPv4-mapped form of 169\.254\.169\.254, a link-local"
    ):
        check_url("http://[::ffff:169.254.169.254]/")


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/feed", "file:///etc/passwd", "gopher://x/", "javascript:alert(1)", "//x/"],
)
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(InvalidURLError):
        check_url(url, resolve=False)


@pytest.mark.parametrize("url", ["http:///path", "http://1.2.3.4.5/", "http://256.0.0.1/", ""])
def test_malformed_urls(url: str) -> None:
    with pytest.raises(InvalidURLError):
        check_url(url, resolve=False)


@pytest.mark.parametrize(
    "url", ["http://8.8.8.8/", "https://93.184.215.14/a?b", "http://[2606:4700::1111]/"]
)
def test_public_addresses_pass(url: str) -> None:
    check_url(url, resolve=False)


@pytest.mark.parametrize(
    ("allow", "url"),
    [
        (["127.0.0.1"], "http://127.0.0.1:8000/feed"),
        (["127.0.0.1"], "http://2130706433/"),  # same address, other spelling
        (["127.0.0.0/8"], "http://127.0.0.5/"),
        (["10.0.0.0/8"], "http://10.9.9.9/"),
        (["::1"], "http://[::1]/"),
        (["localhost"], "http://localhost:8000/"),
        (["127.0.0.1"], "http://[::ffff:127.0.0.1]/"),
    ],
)
def test_allow_hosts_exempts(allow: list[str], url: str) -> None:
    check_url(url, allow_hosts=allow, resolve=False)


def test_allow_list_is_exact() -> None:
    with pytest.raises(BlockedURLError):
        check_url("http://127.0.0.2/", allow_hosts=["127.0.0.1"], resolve=False)
    with pytest.raises(BlockedURLError):
        check_url("http://169.254.169.254/", allow_hosts=["127.0.0.1", "news.test"])


# --- after resolution ---------------------------------------------------------


def _resolver(mapping: dict[str, list[str]]) -> _netguard.Resolver:
    def resolve(host: str, port: int) -> list[str]:
        if host not in mapping:
            raise OSError("Name or service not known")
        return mapping[host]

    return resolve


ALLOW_NONE = _netguard.AllowList.parse([])


@pytest.mark.parametrize(
    "answers",
    [["127.0.0.1"], ["10.0.0.7"], ["169.254.169.254"], ["93.184.215.14", "192.168.0.1"], ["::1"]],
)
def test_every_resolved_address_must_be_public(answers: list[str]) -> None:
    resolve = _resolver({"news.test": answers})
    with pytest.raises(BlockedURLError, match=r"news\.test \("):
        _netguard.check_url("http://news.test/", ALLOW_NONE, resolver=resolve)


def test_public_resolution_passes_and_is_returned() -> None:
    resolve = _resolver({"news.test": ["93.184.215.14", "2606:4700::1111"]})
    _netguard.check_url("http://news.test/", ALLOW_NONE, resolver=resolve)
    assert _netguard.resolve_checked("news.test", 80, ALLOW_NONE, resolve) == [
        "93.184.215.14",
        "2606:4700::1111",
    ]


def test_unresolvable_host_is_a_dns_error() -> None:
    with pytest.raises(DNSError, match=r"cannot resolve host 'nowhere\.test'"):
        _netguard.check_url("http://nowhere.test/", ALLOW_NONE, resolver=_resolver({}))


def test_allowed_name_skips_address_checks() -> None:
    allow = _netguard.AllowList.parse(["news.test"])
    resolve = _resolver({"news.test": ["127.0.0.1"]})
    assert _netguard.resolve_checked("news.test", 80, allow, resolve) == ["127.0.0.1"]


def test_allowed_address_covers_names_resolving_to_it() -> None:
    allow = _netguard.AllowList.parse(["127.0.0.1"])
    resolve = _resolver({"pub.test": ["127.0.0.1"], "other.test": ["127.0.0.2"]})
    assert _netguard.resolve_checked("pub.test", 80, allow, resolve) == ["127.0.0.1"]
    with pytest.raises(BlockedURLError):
        _netguard.resolve_checked("other.test", 80, allow, resolve)


# --- property tests -----------------------------------------------------------

PRIVATE_V4 = [
    ipaddress.IPv4Network(n)
    for n in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "224.0.0.0/4",
        "0.0.0.0/8",
        "240.0.0.0/4",
    )
]
PRIVATE_V6 = [
    ipaddress.IPv6Network(n) for n in ("::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "::/128")
]


@st.composite
def addresses_in(draw: st.DrawFn, networks: list[ipaddress.IPv4Network]) -> int:
    net = draw(st.sampled_from(networks))
    return int(net.network_address) + draw(st.integers(0, net.num_addresses - 1))


def spellings(n: int) -> list[str]:
    """Ways to write IPv4 address ``n`` in a URL host that resolvers and browsers accept."""
    a, b, c, d = ipaddress.IPv4Address(n).packed
    return [
        f"{a}.{b}.{c}.{d}",
        f"{a}.{b}.{c}.{d}.",
        str(n),
        hex(n),
        f"0X{n:X}",
        f"{hex(a)}.{hex(b)}.{hex(c)}.{hex(d)}",
        f"0{a:o}.0{b:o}.0{c:o}.0{d:o}",
        f"{a}.{b}.{(c << 8) | d}",
        f"{a}.{(b << 16) | (c << 8) | d}",
        f"0{a:o}.{hex((b << 16) | (c << 8) | d)}",
        f"[::ffff:{a}.{b}.{c}.{d}]",
        f"[::ffff:{(a << 8) | b:x}:{(c << 8) | d:x}]",
        f"[0:0:0:0:0:ffff:{a}.{b}.{c}.{d}]",
    ]


@given(addresses_in(PRIVATE_V4))
def test_private_ipv4_refused_in_every_spelling(n: int) -> None:
    for spelling in spellings(n):
        with pytest.raises(BlockedURLError):
            check_url(f"http://{spelling}/feed", resolve=False)


@given(st.integers(0, 2**32 - 1))
def test_every_spelling_parses_to_the_same_address(n: int) -> None:
    expected = ipaddress.IPv4Address(n)
    for spelling in spellings(n):
        ip = _netguard.parse_ip_host(spelling)
        if isinstance(ip, ipaddress.IPv6Address):
            assert ip.ipv4_mapped == expected, spelling
        else:
            assert ip == expected, spelling


@given(st.integers(0, 2**32 - 1))
def test_non_global_ipv4_is_always_blocked(n: int) -> None:
    ip = ipaddress.IPv4Address(n)
    if not ip.is_global or ip.is_multicast:
        assert _netguard.blocked_reason(ip) is not None
        mapped = ipaddress.IPv6Address(f"::ffff:{ip}")
        assert _netguard.blocked_reason(mapped) is not None
    elif _netguard.blocked_reason(ip) is None:
        check_url(f"http://{n}/", resolve=False)  # public, in any spelling
        check_url(f"http://[::ffff:{ip}]/", resolve=False)


@given(st.sampled_from(PRIVATE_V6), st.integers(min_value=0))
def test_private_ipv6_refused(net: ipaddress.IPv6Network, offset: int) -> None:
    ip = net.network_address + (offset % net.num_addresses)
    with pytest.raises(BlockedURLError):
        check_url(f"http://[{ip}]/", resolve=False)


@given(addresses_in(PRIVATE_V4))
def test_private_answers_from_dns_refused(n: int) -> None:
    ip = str(ipaddress.IPv4Address(n))
    resolve = _resolver({"news.test": ["93.184.215.14", ip]})
    with pytest.raises(BlockedURLError):
        _netguard.resolve_checked("news.test", 443, ALLOW_NONE, resolve)


@pytest.mark.parametrize(
    ("allow", "url", "allowed"),
    [
        ("127.0.0.1:8765", "http://127.0.0.1:8765/feed", True),
        ("127.0.0.1:8765", "http://127.0.0.1:8766/feed", False),
        ("127.0.0.1:80", "http://127.0.0.1/feed", True),
        ("127.0.0.1:443", "https://127.1/feed", True),
        ("[::1]:8080", "http://[::1]:8080/", True),
        ("[::1]:8080", "http://[::1]:8081/", False),
        ("localhost:8000", "http://localhost:8000/", True),
        ("localhost:8000", "http://localhost:9000/", False),
    ],
)
def test_allow_entries_with_a_port_exempt_that_port_only(
    allow: str, url: str, allowed: bool
) -> None:
    if allowed:
        check_url(url, allow_hosts=[allow], resolve=False)
    else:
        with pytest.raises(BlockedURLError):
            check_url(url, allow_hosts=[allow], resolve=False)


def test_ported_address_entry_covers_resolved_names() -> None:
    allow = _netguard.AllowList.parse(["127.0.0.1:8765"])
    resolve = _resolver({"pub.test": ["127.0.0.1"]})
    assert _netguard.resolve_checked("pub.test", 8765, allow, resolve) == ["127.0.0.1"]
    with pytest.raises(BlockedURLError):
        _netguard.resolve_checked("pub.test", 22, allow, resolve)
