from __future__ import annotations

import codecs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tidings.core.textutil import _scrub, clean_text, decode_bytes


@pytest.mark.parametrize(
    ("content", "declared", "expected"),
    [
        ("Grüße".encode(), None, "Grüße"),
        (codecs.BOM_UTF8 + "Grüße".encode(), "iso-8859-1", "Grüße"),
        ("Grüße".encode("utf-16"), None, "Grüße"),
        ("Grüße".encode("utf-16-be"), "utf-16-be", "Grüße"),
        ("“quoted” – café".encode("cp1252"), None, "“quoted” – café"),
        ("“quoted” – café".encode("cp1252"), "iso-8859-1", "“quoted” – café"),
        ("Grüße".encode(), "iso-8859-1", "Grüße"),  # valid UTF-8 beats a wrong header
        ("Grüße".encode("cp1252"), "utf-8", "Grüße"),  # invalid UTF-8 despite the header
        (b'<?xml version="1.0" encoding="koi8-r"?><a>' + "мир".encode("koi8-r") + b"</a>", None,
         '<?xml version="1.0" encoding="koi8-r"?><a>мир</a>'),
        (b'<meta charset="shift_jis"><p>' + "日本".encode("shift_jis") + b"</p>", None,
         '<meta charset="shift_jis"><p>日本</p>'),
        ("ok “x”".encode() + b" \x93mixed\x94", None, "ok “x” “mixed”"),
        (b"a\x00b\x01c\x0bd\te\nf", None, "abcd\te\nf"),
        (b"caf\xe9", "no-such-charset", "café"),
        (b"x", "rot13", "x"),
    ],
)  # fmt: skip
def test_decode_bytes(content: bytes, declared: str | None, expected: str) -> None:
    assert decode_bytes(content, declared) == expected


@given(st.binary(max_size=512), st.sampled_from([None, "utf-8", "latin-1", "utf-16", "bogus"]))
def test_decode_bytes_always_valid(content: bytes, declared: str | None) -> None:
    text = decode_bytes(content, declared)
    text.encode("utf-8")  # no lone surrogates
    assert "\x00" not in text


@given(st.text(max_size=200))
def test_utf8_fast_path_removes_what_the_text_scan_removes(text: str) -> None:
    # Clean UTF-8 skips the scan of the decoded text: only when the bytes show none
    # of the characters the scan removes (C0/C1 controls, DEL, U+FFFE/U+FFFF, a BOM).
    content = text.encode("utf-8", "surrogatepass")
    try:
        decoded = content.decode("utf-8")
    except UnicodeDecodeError:
        return
    assert decode_bytes(content) == _scrub(decoded.removeprefix("\ufeff"), surrogates=False)


@pytest.mark.parametrize(
    "bad", ["\x00", "\x08", "\x0b", "\x1f", "\x7f", "\x85", "\x9f", "\ufffe", "\uffff"]
)
def test_utf8_fast_path_sees_each_removed_character(bad: str) -> None:
    assert decode_bytes(f"a{bad}b\u00a0c".encode()) == "ab\u00a0c"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  a   b\t\tc  ", "a b c"),
        ("line one  \n   line two", "line one\nline two"),
        ("para\n\n\n\n\npara", "para\n\npara"),
        ("zero\u200bwidth\u2060joined\ufeff", "zerowidthjoined"),
        ("soft\u00adhyphen", "softhyphen"),
        ("bidi\u202emark\u200e", "bidimark"),
        ("e\u0301", "é"),  # NFC
        ("nul\x00byte", "nulbyte"),
        ("non\u00a0breaking", "non breaking"),
        ("crlf\r\nline", "crlf\nline"),
        ("می\u200cخواهم", "می\u200cخواهم"),  # ZWNJ kept inside Persian
        ("a\u200cb", "ab"),  # dropped between ASCII letters
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


@given(st.text())
def test_clean_text_idempotent(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once
    assert "\x00" not in once
