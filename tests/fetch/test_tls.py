"""HTTPS to a pinned address keeps the host name for SNI and certificate checks."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from tidings.core.errors import ConnectError
from tidings.core.fetch import Fetcher

from .conftest import LocalServer, _make_handler, reply


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A throw-away self-signed certificate for news.test (needs the openssl command)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl command not available")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
            "-subj", "/CN=news.test", "-addext", "subjectAltName=DNS:news.test",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[LocalServer, list[str]]]:
    cert, key = certificate
    state = LocalServer()
    names: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: names.append(name or "")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(state))
    httpd.daemon_threads = True
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state, names
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def trust(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))


def _resolver(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


@pytest.mark.usefixtures("trust")
def test_sni_and_host_header_keep_the_name(
    tls_server: tuple[LocalServer, list[str]], make_fetcher: Callable[..., Fetcher]
) -> None:
    server, names = tls_server
    server.routes["/feed"] = lambda h: reply(h, 200, b"secure")
    fetcher = make_fetcher(allow_hosts=["news.test"], resolver=_resolver)
    result = fetcher.fetch(f"https://news.test:{server.port}/feed", kind="feed")
    assert result.content == b"secure"
    assert names == ["news.test"]
    assert server.seen[0].headers["Host"] == f"news.test:{server.port}"


@pytest.mark.usefixtures("trust")
def test_certificate_checked_against_the_name_not_the_address(
    tls_server: tuple[LocalServer, list[str]], make_fetcher: Callable[..., Fetcher]
) -> None:
    server, _ = tls_server
    server.routes["/feed"] = lambda h: reply(h, 200, b"secure")
    fetcher = make_fetcher(allow_hosts=["other.test"], resolver=_resolver, retries=3)
    with pytest.raises(ConnectError, match="certificate"):
        fetcher.fetch(f"https://other.test:{server.port}/feed", kind="feed")
    assert server.seen == []


def test_untrusted_certificate_refused(
    tls_server: tuple[LocalServer, list[str]], make_fetcher: Callable[..., Fetcher]
) -> None:
    server, _ = tls_server
    fetcher = make_fetcher(allow_hosts=["news.test"], resolver=_resolver, retries=0)
    with pytest.raises(ConnectError, match="certificate"):
        fetcher.fetch(f"https://news.test:{server.port}/feed", kind="feed")
    assert server.seen == []
