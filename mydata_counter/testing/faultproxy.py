"""A loopback TCP proxy that injects network faults between a terminal and the broker.

Modes (switchable while running): ``pass`` forwards; ``delay`` waits before forwarding each chunk;
``drop`` accepts and closes at once (connection reset from the client's view); ``blackhole`` accepts
and never answers (a hung broker); ``refuse`` stops listening (broker killed); ``lose_answer`` forwards the
request, lets the broker act on it, then cuts the connection instead of passing the answer back (the next
``times`` answers, then it passes again) — the case where a POST's outcome is unknown to its sender.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import threading
import time
from collections.abc import Iterator
from typing import Literal

Mode = Literal["pass", "delay", "drop", "blackhole", "refuse", "lose_answer"]


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int, listen_port: int = 0) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.mode: Mode = "pass"
        self.delay_s = 0.0
        self.answers_to_lose = 0
        self.answers_lost = 0
        self.connections = 0
        self._listen_port = listen_port
        self._server: socket.socket | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> FaultProxy:
        self._listen()
        return self

    def _listen(self) -> None:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for attempt in range(20):  # reopened after ``refuse``: the old listener's accept thread lets go within 0.1 s
            try:
                server.bind(("127.0.0.1", self._listen_port or self.port))
                break
            except OSError as error:
                if error.errno != errno.EADDRINUSE or attempt == 19:
                    raise
                time.sleep(0.05)
        server.listen(64)
        server.settimeout(0.1)
        self.port = server.getsockname()[1]
        self._server = server
        thread = threading.Thread(target=self._accept_loop, args=(server,), daemon=True, name="faultproxy")
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._close_listener()
        with self._lock:
            for sock in list(self._open):
                _cut(sock)
            self._open.clear()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- faults ----------------------------------------------------------------------------------
    def set_mode(self, mode: Mode, delay_s: float = 0.0, times: int = 1) -> None:
        """Switch mode; ``refuse`` closes the listening socket, any other mode reopens it. ``times``: how many
        answers ``lose_answer`` loses before passing again."""
        self.delay_s = delay_s
        self.answers_to_lose = times if mode == "lose_answer" else 0
        if mode == "refuse":
            self.mode = mode
            self._close_listener()
            self.reset_connections()
            return
        if self._server is None:
            self._listen()
        self.mode = mode

    def reset_connections(self) -> None:
        """Cut every open connection (a broker crash mid-request)."""
        with self._lock:
            for sock in list(self._open):
                _cut(sock)
            self._open.clear()

    # -- internals -------------------------------------------------------------------------------
    def _close_listener(self) -> None:
        if self._server is not None:
            with contextlib.suppress(OSError):
                self._server.close()
            self._server = None

    def _accept_loop(self, server: socket.socket) -> None:
        while not self._stop.is_set() and self._server is server:
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.add(sock)

    def _handle(self, client: socket.socket) -> None:
        self._track(client)
        if self.mode == "drop":
            with contextlib.suppress(OSError):
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self._release(client)
            return
        if self.mode == "blackhole":
            while not self._stop.is_set() and self.mode == "blackhole":
                time.sleep(0.05)
            self._release(client)
            return
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            self._release(client)
            return
        self._track(upstream)
        for source, target, answers in ((client, upstream, False), (upstream, client, True)):
            threading.Thread(target=self._pump, args=(source, target, answers), daemon=True).start()

    def _lose_this_answer(self) -> bool:
        with self._lock:
            if self.mode != "lose_answer" or self.answers_to_lose <= 0:
                return False
            self.answers_to_lose -= 1
            self.answers_lost += 1
            if self.answers_to_lose == 0:
                self.mode = "pass"
            return True

    def _pump(self, source: socket.socket, target: socket.socket, answers: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if self.mode == "delay" and self.delay_s:
                    time.sleep(self.delay_s)
                if answers and self._lose_this_answer():
                    break  # the broker has acted; its answer goes nowhere and the connection is cut
                target.sendall(data)
        except OSError:
            pass
        finally:
            # Both directions end together; each pump closes the socket it read from (the other pump reads
            # the other one), so every socket is closed once.
            with contextlib.suppress(OSError):
                target.shutdown(socket.SHUT_RDWR)
            self._release(source)

    def _release(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)
        _cut(sock)


def _cut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


@contextlib.contextmanager
def fault_proxy(upstream_url: str) -> Iterator[FaultProxy]:
    """A proxy in front of ``http://host:port``; yields it (use ``proxy.url`` as the broker URL)."""
    host_port = upstream_url.split("://", 1)[1].rstrip("/")
    host, port = host_port.rsplit(":", 1)
    with FaultProxy(host, int(port)) as proxy:
        yield proxy
