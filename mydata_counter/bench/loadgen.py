"""A light load generator for the broker benchmark: many keep-alive HTTP/1.1 connections on one asyncio
loop, sending redemptions signed beforehand with the terminals' real ``RequestSigner``.

Why not the ``BrokerClient`` threads: on a 2-core machine the load generator shares the cores with the
broker it measures, and 50 ``requests`` threads spend ~2.5 ms of CPU per call (signing, ``requests``
itself, the interpreter lock passed around 50 threads) — half the machine. Here a request costs the
generator ~0.1 ms while it runs; signing (~0.7 ms each) happens before the clock starts, within the
broker's 60 s freshness window, one unique nonce per request, so the broker still verifies every
signature, refuses replays and redeems each code once. Latency is measured from the moment a request
was *due* (open loop), so a stalled broker cannot hide its queue (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

from broker_client.signing import RequestSigner


@dataclass
class Outcome:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)


def signed_redemptions(url: str, signer: RequestSigner, token: str, codes: list[str]) -> list[bytes]:
    """One raw HTTP/1.1 request per code, each signed (RFC 9421) as the clerk station would."""
    parts = urlsplit(url)
    target = f"{url}/api/v1/clerk/redeem"
    raw: list[bytes] = []
    for code in codes:
        body = json.dumps({"code": code}).encode()
        prepared = requests.Request(
            "POST",
            target,
            data=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        ).prepare()
        signer(prepared)
        head = [f"POST {parts.path}/api/v1/clerk/redeem HTTP/1.1", f"Host: {parts.netloc}"]
        head += [f"{name}: {value}" for name, value in prepared.headers.items()]
        raw.append(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    return raw


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def _run(url: str, requests_: list[bytes], connections: int, rate: float | None) -> Outcome:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    outcome = Outcome()
    due: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while (item := await due.get()) is not None:
                when, raw = item
                if rate is None:
                    when = time.perf_counter()  # closed loop: from sending (all were queued at the start)
                try:
                    writer.write(raw)
                    status = await _read_response(reader)
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    name = type(exc).__name__
                    outcome.failures[name] = outcome.failures.get(name, 0) + 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    continue
                outcome.latencies_ms.append((time.perf_counter() - when) * 1000)
                outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
        finally:
            writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    await asyncio.sleep(0.2)  # connections open before the clock starts
    started = time.perf_counter()
    if rate is None:  # closed loop: every connection sends its next request as soon as it has an answer
        for raw in requests_:
            due.put_nowait((time.perf_counter(), raw))
    else:  # open loop: request i is due at started + i / rate, whether or not the broker kept up
        for index, raw in enumerate(requests_):
            when = started + index / rate
            delay = when - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            due.put_nowait((when, raw))
    for _ in workers:
        due.put_nowait(None)
    await asyncio.gather(*workers)
    outcome.elapsed_s = time.perf_counter() - started
    return outcome


def fire(url: str, requests_: list[bytes], connections: int = 50, rate: float | None = None) -> Outcome:
    """Send ``requests_`` over ``connections`` keep-alive connections: back to back (``rate`` None) or
    offered at ``rate`` per second in all."""
    return asyncio.run(_run(url, requests_, connections, rate))
