"""Fault injection for tests: a TCP proxy that can cut a database off, and a local fake of the
Anthropic API (real HTTP on loopback) that answers, stalls or records what it was sent."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TcpProxy:
    """Forwards 127.0.0.1:``port`` to ``target``; :meth:`cut` drops every connection and stops
    listening (the database is "unreachable"), :meth:`restore` listens again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()

    def restore(self) -> TcpProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def cut(self) -> None:
        with self._lock:
            if self._listener is not None:
                # shutdown first: close() alone leaves a blocked accept() listening on Linux
                with contextlib.suppress(OSError):
                    self._listener.shutdown(socket.SHUT_RDWR)
                self._listener.close()
                self._listener = None
            for s in self._sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


def claude_message(answer: dict) -> dict:
    """A Messages API response whose text is ``answer`` as JSON (structured output)."""
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": "claude-fake",
        "content": [{"type": "text", "text": json.dumps(answer)}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 100, "output_tokens": 200},
    }


def generic_answer() -> dict:
    """A well-formed three-reader answer that quotes nothing (so the number check passes)."""
    part = {
        "subject": "Your team's progress this month",
        "one_liner": "Your team is getting more from the product.",
        "background": "We looked at how your team used the product over the last weeks.",
        "result": "Use went up compared with the weeks before.",
        "action": "Share this with the people who rely on these reports.",
        "reinforcement": "Keep the weekly review going; it is working.",
    }
    return {"admin": dict(part), "champion": dict(part), "executive": dict(part)}


class FakeAnthropic:
    """A local Messages API on loopback. ``delay`` stalls every answer; ``requests`` records
    every body received; ``status`` other than 200 answers with that error."""

    def __init__(self, *, delay: float = 0.0, status: int = 200) -> None:
        self.delay = delay
        self.status = status
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                fake.requests.append(json.loads(self.rfile.read(length) or b"{}"))
                if fake.delay:
                    time.sleep(fake.delay)
                body = (
                    claude_message(generic_answer())
                    if fake.status == 200
                    else {"type": "error", "error": {"type": "overloaded_error", "message": "x"}}
                )
                data = json.dumps(body).encode()
                try:
                    self.send_response(fake.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
