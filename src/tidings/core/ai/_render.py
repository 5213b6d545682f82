"""Safe rendering of AI output: limited markdown, no raw HTML, no images, no foreign links."""

from __future__ import annotations

import re
from collections.abc import Collection
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable(
    ["html_block", "html_inline", "heading", "lheading", "hr", "reference"]
)
_CITE = re.compile(r"\[(\d{1,4})\](?![(:])")
_ALLOWED_TAGS = {"p", "ul", "ol", "li", "em", "strong", "code", "pre", "blockquote", "br", "a"}


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower().removeprefix("www.")
    except ValueError:
        return ""


def _link_allowed(href: str, allowed_urls: set[str], allowed_hosts: set[str]) -> bool:
    href = href.strip()
    if re.fullmatch(r"#s-\d{1,4}", href):
        return True  # a citation anchor into the page itself
    if href in allowed_urls:
        return True
    parts = urlsplit(href)
    if parts.scheme in {"http", "https"} and not parts.username and not parts.password:
        return _host(href) in allowed_hosts
    return False


def _filter_inline(
    children: list[Token], allowed_urls: set[str], allowed_hosts: set[str]
) -> list[Token]:
    out: list[Token] = []
    dropping: list[bool] = []  # one flag per open link: was its opening tag dropped?
    for tok in children:
        if tok.type == "image":
            alt = "".join(c.content for c in tok.children or [])
            text = Token("text", "", 0)
            text.content = f"[image: {alt}]" if alt else "[image]"
            out.append(text)
            continue
        if tok.type == "link_open":
            href = str(tok.attrGet("href") or "")
            ok = _link_allowed(href, allowed_urls, allowed_hosts)
            dropping.append(not ok)
            if ok:
                tok.attrSet("rel", "nofollow noopener noreferrer")
                out.append(tok)
            continue
        if tok.type == "link_close":
            if dropping and not dropping.pop():
                out.append(tok)
            continue
        out.append(tok)
    return out


def render_output(text: str, *, allowed_links: Collection[str] = ()) -> str:
    """Render AI output (or any untrusted markdown) as inert HTML.

    Supported: paragraphs, emphasis, lists, block quotes, code. Raw HTML is shown
    escaped, images become ``[image: alt]`` text (nothing is ever loaded), headings
    become plain paragraphs. Links survive only when they point into the page
    (``#s-N`` citation anchors), equal an entry of ``allowed_links``, or go to the
    host of one of its absolute URLs (the article's own sources); other links keep
    their text and lose the link. Citation markers ``[N]`` become links to ``#s-N``.
    """
    allowed_urls = {u.strip() for u in allowed_links}
    allowed_hosts = {h for h in (_host(u) for u in allowed_urls) if h}
    source = _CITE.sub(lambda m: f"[\\[{m.group(1)}\\]](#s-{m.group(1)})", text)
    tokens = _MD.parse(source)
    for tok in tokens:
        if tok.type == "inline" and tok.children:
            tok.children = _filter_inline(tok.children, allowed_urls, allowed_hosts)
    html = _MD.renderer.render(tokens, _MD.options, {})
    # Defence in depth: whatever the markdown layer produced, only these tags survive.
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "class"}},
        url_schemes={"http", "https"},
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )
