"""A small HTTP/1.1 load generator for the web benchmarks: keep-alive connections on asyncio streams.

The load generator runs on the same two cores as the server. httpx's AsyncClient cost 1.4 ms
of CPU per request (measured on 2026-11-27: 4.6 s of client CPU for 3,334 requests), a
quarter of the server's own cost per request, so it took CPU the server needed. This client
parses only what the benchmarks need (status, Set-Cookie, Content-Length or chunked bodies)
and costs about a tenth of that.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote, urlencode, urlsplit


class HttpError(Exception):
    pass


class Client:
    """One keep-alive connection with a cookie jar; reconnects when the server closes it."""

    def __init__(self, base: str, timeout: float = 30.0) -> None:
        parts = urlsplit(base)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except OSError:
                pass
        self._reader = self._writer = None

    async def get(self, path: str) -> tuple[int, bytes]:
        return await self.request("GET", path)

    async def post_form(self, path: str, data: dict[str, str]) -> tuple[int, bytes]:
        return await self.request("POST", path, urlencode(data).encode(),
                                  "application/x-www-form-urlencoded")

    async def request(self, method: str, path: str, body: bytes = b"", content_type: str = "") -> tuple[int, bytes]:
        try:
            return await asyncio.wait_for(self._request(method, path, body, content_type), self.timeout)
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as exc:
            await self.close()
            raise HttpError(f"{method} {path}: {exc!r}") from exc

    async def _request(self, method: str, path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self._writer is None:
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            head = [f"{method} {quote(path, safe='/?=&%:+,*')} HTTP/1.1", f"Host: {self.host}:{self.port}"]
            if self.cookies:
                head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
            if body or method == "POST":
                head += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
            self._writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
            try:
                return await self._response()
            except (asyncio.IncompleteReadError, ConnectionResetError):
                await self.close()  # the server closed an idle keep-alive connection: once more
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _response(self) -> tuple[int, bytes]:
        assert self._reader is not None
        head = (await self._reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        length, chunked, close = None, False, False
        for line in head[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.lower() == "close":
                close = True
            elif name == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, cookie = pair.partition("=")
                if cookie and "max-age=0" not in value.lower():
                    self.cookies[key.strip()] = cookie.strip()
                else:
                    self.cookies.pop(key.strip(), None)
        if chunked:
            parts = []
            while True:
                size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self._reader.readuntil(b"\r\n")
                    break
                parts.append(await self._reader.readexactly(size + 2))
            body = b"".join(p[:-2] for p in parts)
        elif length is not None:
            body = await self._reader.readexactly(length)
        else:
            body = await self._reader.read()
            close = True
        if close:
            await self.close()
        return status, body
