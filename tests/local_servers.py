"""Servers on 127.0.0.1 (ephemeral ports) for tests: an SMTP server that may stay silent, and
an on-call webhook that records the events posted to it. Each runs in daemon threads and
stops with `stop()`; both are context managers."""

from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


class LocalSMTPServer:
    """Accepts every connection at once; answers only after `answer()` (or if `answering`).

    Until then a client is left waiting for the greeting, as with a mail server that hangs.
    Counts connections and keeps every message it accepted.
    """

    def __init__(self, *, answering: bool = False) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._answering = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.connections = 0
        self.messages: list[Message] = []
        if answering:
            self._answering.set()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def answer(self) -> None:
        self._answering.set()

    def subjects(self) -> list[str]:
        with self._lock:
            return [str(m["Subject"]) for m in self.messages]

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _addr = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            while not self._answering.wait(0.1):
                if self._stopping.is_set():
                    return
            try:
                self._dialogue(conn)
            except OSError:
                return

    def _dialogue(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        conn.sendall(b"220 localhost test SMTP\r\n")
        while line := reader.readline():
            command = line[:4].upper()
            if command in (b"EHLO", b"HELO"):
                conn.sendall(b"250 localhost\r\n")
            elif command == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                data = b""
                while (chunk := reader.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                with self._lock:
                    self.messages.append(message_from_bytes(data))
                conn.sendall(b"250 queued\r\n")
            elif command == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"250 OK\r\n")

    def stop(self) -> None:
        self._stopping.set()
        self._listener.close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class PagerServer:
    """An on-call webhook: records each JSON event POSTed to it and answers `status`."""

    def __init__(self, status: int = 202) -> None:
        self.status = status
        self.events: list[dict[str, Any]] = []
        pager = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                event = json.loads(self.rfile.read(length))
                with pager._lock:
                    pager.events.append(event)
                self.send_response(pager.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status": "success"}')

            def log_message(self, *args: Any) -> None:
                return

        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v2/enqueue"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
