"""URL normalisation, article ids and slugs.

:func:`canonical_url` maps the many spellings of one article address (case of
scheme and host, default port, fragment, tracking parameters, parameter order,
percent-encoding) to a single string; :func:`article_id` derives the stable
32-hex-character id of an article from it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

from tidings.core.errors import InvalidURLError

__all__ = ["TRACKING_PARAMS", "article_id", "canonical_url", "slugify"]

#: Query parameters that only identify a campaign, a click or a referrer.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "ttclid", "li_fat_id", "igshid", "igsh", "mc_cid", "mc_eid", "mkt_tok", "ocid", "cmpid",
        "_ga", "_gl", "_hsenc", "_hsmi", "__hstc", "__hssc", "__hsfp", "hsctatracking",
        "ref", "ref_src", "ref_url", "src_trk", "soc_src", "soc_trk", "smid", "smtyp",
        "ncid", "s_cid", "sr_share", "spm", "wt.mc_id", "wt_mc", "at_medium", "at_campaign",
        "at_custom1", "at_custom2", "at_custom3", "at_custom4", "oly_anon_id", "oly_enc_id",
        "vero_id", "vero_conv", "rb_clickid", "guccounter", "guce_referrer", "guce_referrer_sig",
        "__twitter_impression", "ito", "cid_source", "xtor", "amp_js_v", "amp_gsa", "usqp",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "hsa_", "pk_", "mtm_", "matomo_", "piwik_", "_branch")

_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = "/:@!$'()*,;-._~"


def _is_tracking(name: str) -> bool:
    key = name.strip().lower()
    return key in TRACKING_PARAMS or key.startswith(_TRACKING_PREFIXES)


def _normalise_percent(part: str, safe: str) -> str:
    """Decode percent-escapes of unreserved characters, upper-case the others,
    and escape what must be escaped (spaces, non-ASCII)."""

    def fix(match: re.Match[str]) -> str:
        byte = int(match.group(1), 16)
        return chr(byte) if byte in _UNRESERVED else "%" + match.group(1).upper()

    return quote(_PERCENT.sub(fix, part), safe=safe)


def _host(hostname: str) -> str:
    host = hostname.strip(".").lower()
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def canonical_url(url: str, base: str | None = None) -> str:
    """The canonical form of an http(s) URL (resolved against ``base`` first).

    Lower-case scheme and host (IDN hosts in punycode), no default port, no
    user info, no fragment, no tracking parameters (``utm_*``, ``fbclid``,
    ``gclid``, ...), remaining parameters sorted, percent-encoding normalised,
    an empty path written ``/``. URLs with another scheme come back trimmed
    but otherwise unchanged.

    Raises :class:`~tidings.core.errors.InvalidURLError` when the URL cannot
    be parsed or is relative with no base.
    """
    raw = url.strip()
    if base:
        raw = urljoin(base.strip(), raw)
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise InvalidURLError(f"cannot parse URL: {exc}", url=url) from exc
    scheme = parts.scheme.lower()
    if not scheme:
        raise InvalidURLError("relative URL without a base", url=url)
    if scheme not in _DEFAULT_PORTS:
        return raw
    if not parts.hostname:
        raise InvalidURLError("URL has no host", url=url)
    host = _host(parts.hostname)
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    path = _normalise_percent(urljoin("/", parts.path or "/"), _PATH_SAFE)
    pairs = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    pairs.sort()
    query = urlencode(pairs, quote_via=quote, safe=_QUERY_SAFE)
    return urlunsplit((scheme, netloc, path, query, ""))


def article_id(canonical: str) -> str:
    """The stable id of an article: 32 lowercase hex characters derived
    (SHA-256 prefix) from its canonical URL."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


_NON_WORD = re.compile(r"[^\w]+")


def slugify(text: str, max_length: int = 80) -> str:
    """A lowercase, hyphen-separated slug of ``text``.

    Latin letters lose their accents (``Café`` → ``cafe``); letters of other
    scripts are kept. Cut at a word boundary to at most ``max_length``
    characters. Empty when nothing usable remains.
    """
    if text.isascii():
        plain = text  # nothing to fold (the site's own titles are mostly ASCII)
    else:
        folded: list[str] = []
        for char in unicodedata.normalize("NFKD", text):
            # Accents on Latin letters go; vowel signs of other scripts stay.
            if unicodedata.combining(char) and folded and folded[-1].isascii():
                continue
            folded.append(char)
        plain = "".join(folded)
    slug = _NON_WORD.sub("-", plain.replace("_", " ").lower()).strip("-")
    if len(slug) > max_length:
        cut = slug[: max_length + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:max_length]
        slug = slug[:max_length].strip("-")
    return unicodedata.normalize("NFC", slug)
