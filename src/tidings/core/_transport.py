"""An httpx transport whose every TCP connection goes through the address guard.

The network backend resolves the host itself, checks every address, and
connects to one of exactly those addresses. The URL, the Host header, TLS SNI
and certificate verification all keep the original host name, because
httpcore keeps the name in the connection's origin and only the socket
connect sees the IP.

Each socket read and write is also clamped to the current fetch's deadline
(a context variable set by the fetcher), so a server that trickles its
status line, headers or body one byte at a time is abandoned on time.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import ssl
import time
import typing
from collections.abc import Iterator

import httpcore
import httpx

from tidings.core import _netguard
from tidings.core.errors import TimeoutError_

# Monotonic time at which the fetch running in this context must stop.
deadline_var: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "tidings_fetch_deadline", default=None
)


def _clamp(timeout: float | None) -> float | None:
    deadline = deadline_var.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return 0.0
    return remaining if timeout is None else min(timeout, remaining)


class DeadlineResolver:
    """Runs a resolver in a worker thread so a slow DNS answer cannot outlast the deadline."""

    def __init__(self, resolver: _netguard.Resolver, max_workers: int = 8) -> None:
        self._resolver = resolver
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="tidings-dns"
        )

    def __call__(self, host: str, port: int) -> list[str]:
        deadline = deadline_var.get()
        if deadline is None:
            return self._resolver(host, port)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError_(f"fetch deadline reached before resolving {host!r}")
        future = self._pool.submit(self._resolver, host, port)
        try:
            return future.result(timeout=remaining)
        except concurrent.futures.TimeoutError as exc:
            future.cancel()
            raise TimeoutError_(f"resolving {host!r} outlasted the fetch deadline") from exc

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        clamped = _clamp(timeout)
        if clamped == 0.0:
            raise httpcore.ReadTimeout("fetch deadline reached")
        return self._inner.read(max_bytes, clamped)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        clamped = _clamp(timeout)
        if clamped == 0.0:
            raise httpcore.WriteTimeout("fetch deadline reached")
        self._inner.write(buffer, clamped)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        clamped = _clamp(timeout)
        if clamped == 0.0:
            raise httpcore.ConnectTimeout("fetch deadline reached")
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, clamped))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Resolve, check every address, then connect to a checked address only."""

    def __init__(self, allow: _netguard.AllowList, resolver: _netguard.Resolver) -> None:
        self._allow = allow
        self._resolver = resolver
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = _netguard.resolve_checked(host, port, self._allow, self._resolver)
        last_error: Exception | None = None
        for address in addresses:
            clamped = _clamp(timeout)
            if clamped == 0.0:
                raise httpcore.ConnectTimeout("fetch deadline reached")
            try:
                stream = self._inner.connect_tcp(
                    address,
                    port,
                    timeout=clamped,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
                continue
            return _DeadlineStream(stream)
        assert last_error is not None
        raise last_error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by the fetcher")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


_EXCEPTIONS: tuple[tuple[type[Exception], type[httpx.HTTPError]], ...] = (
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
    (httpcore.NetworkError, httpx.NetworkError),
)


def _map(exc: Exception) -> Exception:
    for core_type, httpx_type in _EXCEPTIONS:
        if isinstance(exc, core_type):
            return httpx_type(str(exc))
    return exc


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, stream: typing.Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._stream
        except httpcore.TimeoutException as exc:
            raise _map(exc) from exc
        except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise _map(exc) from exc

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class GuardedTransport(httpx.BaseTransport):
    """HTTP/1.1 over httpcore with the guarded network backend."""

    def __init__(
        self,
        allow: _netguard.AllowList,
        resolver: _netguard.Resolver,
        *,
        max_connections: int = 100,
        keepalive_expiry: float = 30.0,
    ) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=True),
            max_connections=max_connections,
            max_keepalive_connections=max_connections // 2,
            keepalive_expiry=keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=GuardedBackend(allow, resolver),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, typing.Iterable)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            response = self._pool.handle_request(core_request)
        except httpcore.TimeoutException as exc:
            raise _map(exc) from exc
        except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise _map(exc) from exc
        assert isinstance(response.stream, typing.Iterable)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()
