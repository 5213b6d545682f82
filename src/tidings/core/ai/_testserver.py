"""A minimal OpenAI-compatible chat-completions server for tests and demos.

It speaks the real wire protocol over HTTP/1.1 on 127.0.0.1: ``POST
/v1/chat/completions`` answers a JSON ``chat.completion`` or, with ``"stream":
true``, server-sent events (``data: {chunk}`` frames in chunked transfer encoding,
ending with ``data: [DONE]``); ``GET /v1/models`` lists one model. Replies can be
scripted (status codes, ``Retry-After``, delays) and every request is recorded.
It has no model: its answers come from a responder function.

    with FakeLLMServer() as server:
        server.script(Reply(status=429, headers={"Retry-After": "0"}), Reply())
        engine = LLMEngine(server.url, "fake-model")
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[dict[str, Any]], str]


def quote_first_sentence(request: dict[str, Any]) -> str:
    """The default responder: quote the first numbered sentence of the first article."""
    user = next((m["content"] for m in request.get("messages", []) if m["role"] == "user"), "")
    m = re.search(r"^\[(\d+)\] (.+)$", user, re.M)
    if not m:
        return "No article was given."
    cite = f"[1.{m.group(1)}]" if re.search(r'<article n="', user) else f"[{m.group(1)}]"
    return f"{m.group(2)} {cite}"


@dataclass
class Reply:
    """One scripted reply. ``content`` None means: ask the server's responder."""

    status: int = 200
    content: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None  # raw body, sent as is (for malformed answers)
    delay: float = 0.0  # seconds before the status line
    chunk_delay: float = 0.0  # seconds between streamed chunks


class FakeLLMServer:
    def __init__(
        self, responder: Responder = quote_first_sentence, model: str = "fake-model"
    ) -> None:
        self.responder = responder
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- control -----------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        """Queue replies used, in order, by the next requests (then the responder)."""
        with self._lock:
            self._script.extend(replies)

    def _next(self) -> Reply:
        with self._lock:
            return self._script.popleft() if self._script else Reply()

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> FakeLLMServer:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._json(
                        200, {"object": "list", "data": [{"id": outer.model, "object": "model"}]}
                    )
                else:
                    self._json(
                        404, {"error": {"message": "not found", "type": "invalid_request_error"}}
                    )

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._json(
                        404, {"error": {"message": "not found", "type": "invalid_request_error"}}
                    )
                    return
                try:
                    request = json.loads(raw)
                except ValueError:
                    self._json(
                        400, {"error": {"message": "invalid JSON", "type": "invalid_request_error"}}
                    )
                    return
                with outer._lock:
                    outer.requests.append(request)
                    outer.headers.append({k.lower(): v for k, v in self.headers.items()})
                reply = outer._next()
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.body is not None:
                    body = reply.body.encode()
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if reply.status != 200:
                    kind = "rate_limit_exceeded" if reply.status == 429 else "server_error"
                    error = {"error": {"message": f"scripted {reply.status}", "type": kind}}
                    self._json(reply.status, error, reply.headers)
                    return
                content = reply.content if reply.content is not None else outer.responder(request)
                prompt_tokens = (
                    sum(len(m.get("content", "")) for m in request.get("messages", [])) // 4
                )
                usage = {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": len(content) // 4 + 1,
                    "total_tokens": prompt_tokens + len(content) // 4 + 1,
                }
                created = int(time.time())
                if not request.get("stream"):
                    self._json(
                        200,
                        {
                            "id": "chatcmpl-test",
                            "object": "chat.completion",
                            "created": created,
                            "model": request.get("model", outer.model),
                            "choices": [
                                {
                                    "index": 0,
                                    "message": {"role": "assistant", "content": content},
                                    "finish_reason": "stop",
                                }
                            ],
                            "usage": usage,
                        },
                        reply.headers,
                    )
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Transfer-Encoding", "chunked")
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()

                def event(data: str) -> None:
                    frame = f"data: {data}\n\n".encode()
                    self.wfile.write(f"{len(frame):x}\r\n".encode() + frame + b"\r\n")
                    self.wfile.flush()

                def chunk(delta: dict[str, str], finish: str | None) -> str:
                    return json.dumps(
                        {
                            "id": "chatcmpl-test",
                            "object": "chat.completion.chunk",
                            "created": created,
                            "model": request.get("model", outer.model),
                            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                        }
                    )

                event(chunk({"role": "assistant", "content": ""}, None))
                for piece in re.findall(r"\S+\s*|\s+", content):
                    if reply.chunk_delay:
                        time.sleep(reply.chunk_delay)
                    event(chunk({"content": piece}, None))
                event(chunk({}, "stop"))
                if (request.get("stream_options") or {}).get("include_usage"):
                    event(
                        json.dumps(
                            {
                                "id": "chatcmpl-test",
                                "object": "chat.completion.chunk",
                                "choices": [],
                                "usage": usage,
                            }
                        )
                    )
                event("[DONE]")
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
