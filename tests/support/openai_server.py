"""A small, real HTTP server speaking the part of the OpenAI API the product uses.

It is the test stand-in for an LLM and an embedding model:

- POST /v1/chat/completions answers deterministically from the prompt. It finds the first
  identifier in the first fenced code block of the last message (after def/class/function/…
  when there is one) and answers a JSON object with one entry per JSON key the system
  message asks for, e.g. {"description": "Description of parse_config.", "purpose": "Purpose
  of parse_config."}. With no keys asked for it answers plain text.
- POST /v1/embeddings returns feature-hashed bag-of-words vectors: each lower-case word
  (letters and digits) adds ±1 to one of `dimensions` slots (64 by default, or the request's
  `dimensions`), chosen by a hash of the word; the result is scaled to length 1. Texts that
  share words are therefore closer than texts that do not. Honours encoding_format "base64".
- GET /v1/models lists the models given at start.

Every request is recorded (path, model, input count, monotonic start and end times, body), and
faults can be injected: fail the next N requests with a status (and Retry-After), stall them,
delay every response, or replace the chat answer. In-process use:

    with OpenAIServer() as server:
        client = make_client(server.base_url)
        server.fail_next(2, status=429)

From another process: `python -m tests.support.openai_server --port 0` prints
"openai test server on http://127.0.0.1:PORT/v1" and serves until SIGTERM/SIGINT; the same
controls are then available over HTTP: GET /_test/requests returns the log as JSON, and
POST /_test/control takes {"fail_next": {"count": 2, "status": 500, "retry_after": 0.1},
"stall_next": {"count": 1, "seconds": 2}, "delay": 0.1, "answer": "text", "reset": true}.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import math
import re
import signal
import struct
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_MODELS = ("test-chat", "test-embed")
DEFAULT_DIMENSIONS = 64

_WORD = re.compile(r"[a-z0-9]+")
_CODE_BLOCK = re.compile(r"```[^\n]*\n(.*?)```", re.S)
_DEFINED = re.compile(r"\b(?:def|class|function|func|fn|struct|interface|type|module)\s+"
                      r"([A-Za-z_]\w*)")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_ASKED_KEY = re.compile(r'"([A-Za-z_]\w*)"\s*:')


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    model: str
    inputs: int  # messages of a chat request, texts of an embeddings request
    body: dict[str, Any]  # the request's JSON body, e.g. to read a prompt
    started: float  # time.monotonic() when the request arrived
    finished: float | None = None  # time.monotonic() when the answer was ready; None before
    status: int | None = None  # None while the request is in flight


@dataclass(frozen=True)
class _Fault:
    status: int | None  # None: answer normally, after the stall
    stall: float = 0.0
    retry_after: float | None = None


def embed_text(text: str, dimensions: int = DEFAULT_DIMENSIONS) -> list[float]:
    """The server's embedding: feature-hashed bag of words, length 1 (see the module doc)."""
    vector = [0.0] * dimensions
    for word in _WORD.findall(text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        slot = int.from_bytes(digest[:4], "little") % dimensions
        vector[slot] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0:  # no words (or they cancelled out): a fixed unit vector, not zeros
        return [1.0] + [0.0] * (dimensions - 1)
    return [x / norm for x in vector]


def chat_answer(messages: list[dict[str, Any]]) -> str:
    """The server's chat answer for these messages (see the module doc)."""
    system = " ".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")
    last = str(messages[-1].get("content", "")) if messages else ""
    block = _CODE_BLOCK.search(last)
    code = block.group(1) if block else last
    defined, first = _DEFINED.search(code), _IDENTIFIER.search(code)
    subject = defined.group(1) if defined else first.group(0) if first else "nothing"
    keys = list(dict.fromkeys(_ASKED_KEY.findall(system)))
    if not keys:
        return f"Code about {subject}."
    return json.dumps({key: f"{key.capitalize()} of {subject}." for key in keys})


class OpenAIServer:
    """The server on 127.0.0.1 (port 0: any free port), in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 models: tuple[str, ...] = DEFAULT_MODELS) -> None:
        self.models = models
        self.delay = 0.0  # seconds added before every response
        self.answer: str | None = None  # replaces every chat answer while set
        self._lock = threading.Lock()
        self._faults: deque[_Fault] = deque()
        self._requests: list[RecordedRequest] = []
        self._generation = 0  # bumped by reset(): requests from before it are forgotten
        self._in_flight = 0
        self._max_in_flight = 0
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle --------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> OpenAIServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        name="openai-test-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- what tests look at and control -------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request since the last reset (test controls excluded), in arrival order,
        including those still in flight."""
        with self._lock:
            return list(self._requests)

    def count(self, path: str = "") -> int:
        """How many requests so far, to paths ending with `path`."""
        return sum(1 for r in self.requests if r.path.endswith(path))

    @property
    def in_flight(self) -> int:
        """How many requests since the last reset are being handled now."""
        with self._lock:
            return self._in_flight

    @property
    def max_in_flight(self) -> int:
        """The most requests this server was handling at one moment."""
        with self._lock:
            return self._max_in_flight

    def fail_next(self, count: int, status: int = 500, *,
                  retry_after: float | None = None) -> None:
        """The next `count` API requests get `status` with an OpenAI-style error body."""
        with self._lock:
            self._faults.extend(_Fault(status, retry_after=retry_after) for _ in range(count))

    def stall_next(self, count: int, seconds: float) -> None:
        """The next `count` API requests wait `seconds` before answering normally."""
        with self._lock:
            self._faults.extend(_Fault(None, stall=seconds) for _ in range(count))

    def reset(self) -> None:
        """Forget requests and faults; no delay, no answer override.

        A request still in flight from before is left out of the log and the in-flight counts,
        so a slow answer from one test never shows up in the next.
        """
        with self._lock:
            self._generation += 1
            self._requests.clear()
            self._faults.clear()
            self._in_flight = self._max_in_flight = 0
            self.delay = 0.0
            self.answer = None

    def control(self, command: dict[str, Any]) -> None:
        """Apply a POST /_test/control body (see the module doc)."""
        if command.get("reset"):
            self.reset()
        if fail := command.get("fail_next"):
            self.fail_next(int(fail["count"]), int(fail.get("status", 500)),
                           retry_after=fail.get("retry_after"))
        if stall := command.get("stall_next"):
            self.stall_next(int(stall["count"]), float(stall["seconds"]))
        if "delay" in command:
            self.delay = float(command["delay"])
        if "answer" in command:
            self.answer = command["answer"]

    # --- used by the handler ----------------------------------------------------------
    def _begin(self, method: str, path: str,
               body: dict[str, Any]) -> tuple[tuple[int, int], _Fault | None]:
        with self._lock:
            self._requests.append(RecordedRequest(
                method, path, str(body.get("model", "")), _input_count(path, body), body,
                started=time.monotonic()))
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            fault = self._faults.popleft() if self._faults else None
            return (self._generation, len(self._requests) - 1), fault

    def _end(self, token: tuple[int, int], status: int) -> None:
        generation, index = token
        with self._lock:
            if generation != self._generation:
                return
            self._in_flight -= 1
            self._requests[index] = replace(self._requests[index], status=status,
                                            finished=time.monotonic())


def _handler_for(server: OpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the openai client expects

        def do_GET(self) -> None:
            if self.path == "/_test/requests":
                self._send(200, [asdict(r) for r in server.requests])
            else:
                self._api("GET", None)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self._send(400, _error("the body is not JSON", "invalid_request_error"))
                return
            if self.path == "/_test/control":
                server.control(body)
                self._send(200, {"ok": True})
            else:
                self._api("POST", body)

        def _api(self, method: str, body: dict[str, Any] | None) -> None:
            body = body or {}
            token, fault = server._begin(method, self.path, body)
            headers: dict[str, str] = {}
            try:
                time.sleep(server.delay + (fault.stall if fault else 0.0))
                if fault is not None and fault.status is not None:
                    status = fault.status
                    payload = _error(f"injected failure {status}", "server_error")
                    if fault.retry_after is not None:
                        headers["Retry-After"] = str(fault.retry_after)
                else:
                    status, payload = _route(server, method, self.path, body)
            except Exception as exc:  # a bug here must still answer, or the client hangs
                status, payload = 500, _error(f"test server error: {exc!r}", "server_error")
            # Ended before the answer leaves: once a client has its answer, the request is
            # no longer in flight (or the next request could find the count one too high).
            server._end(token, status)
            # A client that gave up (a timeout test) has closed the connection: nothing to do.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._send(status, payload, headers)

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # tests read server.requests instead of a noisy stderr

    return Handler


def _route(server: OpenAIServer, method: str, path: str,
           body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    if method == "GET" and path == "/v1/models":
        return 200, {"object": "list", "data": [
            {"id": m, "object": "model", "created": 0, "owned_by": "knowport-tests"}
            for m in server.models]}
    if method == "POST" and path == "/v1/chat/completions":
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return 400, _error("messages must be a non-empty list", "invalid_request_error")
        content = server.answer if server.answer is not None else chat_answer(messages)
        return 200, _completion(str(body.get("model", "")), content, messages)
    if method == "POST" and path == "/v1/embeddings":
        texts = body.get("input")
        texts = [texts] if isinstance(texts, str) else texts
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            return 400, _error("input must be a string or a non-empty list of strings",
                               "invalid_request_error")
        dimensions = int(body.get("dimensions") or DEFAULT_DIMENSIONS)
        as_base64 = body.get("encoding_format") == "base64"
        data = [{"object": "embedding", "index": i,
                 "embedding": _encode(embed_text(t, dimensions), as_base64)}
                for i, t in enumerate(texts)]
        words = sum(len(_WORD.findall(t.lower())) for t in texts)
        return 200, {"object": "list", "data": data, "model": body.get("model", ""),
                     "usage": {"prompt_tokens": words, "total_tokens": words}}
    return 404, _error(f"no route for {method} {path}", "invalid_request_error")


def _completion(model: str, content: str, messages: list[Any]) -> dict[str, Any]:
    prompt_words = sum(len(_WORD.findall(str(m.get("content", "")).lower())) for m in messages)
    answer_words = len(_WORD.findall(content.lower()))
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": prompt_words, "completion_tokens": answer_words,
                  "total_tokens": prompt_words + answer_words},
    }


def _encode(vector: list[float], as_base64: bool) -> list[float] | str:
    if not as_base64:
        return vector
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()


def _input_count(path: str, body: dict[str, Any]) -> int:
    if path.endswith("/embeddings"):
        value = body.get("input")
        return 1 if isinstance(value, str) else len(value or [])
    return len(body.get("messages") or [])


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = OpenAIServer(args.host, args.port).start()
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    print(f"openai test server on {server.base_url}", flush=True)
    stopped.wait()
    server.stop()


if __name__ == "__main__":
    main()
