"""The one HTTP client seam of veille: feeds, listing pages, articles and robots.txt.

Everything that leaves the process goes through `Fetcher.get`, which enforces, on every
request and on every redirect hop:

- an honest User-Agent with a contact URL (`HttpOptions.user_agent`);
- connect and read timeouts (httpx) plus a hard total deadline checked while streaming,
  so a server that trickles one byte a second is cut off;
- a streaming size cap on the *decoded* body: gzip, deflate and brotli are decoded here,
  with a bounded output per step, so a decompression bomb stops at the cap instead of
  filling memory (httpx's own decoders inflate a whole network chunk at once);
- at most `max_redirects` redirects, followed by hand so that each hop is checked;
- only ``http``/``https`` URLs without credentials; unless `allow_private_networks`, the
  host is resolved and *every* address must be public (loopback, private, link-local,
  shared, multicast and reserved ranges are refused, including IPv4-mapped IPv6);
- politeness: at most one request in flight per host and a minimum gap between two
  requests to the same host (`HostGate`, shared by the threads of one process).

Expected failures raise `FetchError` with a typed ``outcome`` (see `OUTCOMES`); callers
store it on the source or item (errors are data). A 304 is not an error: `Response.status`
says so and the body is empty.

Known limit: the address check resolves the host before httpx connects, and httpx
resolves it again; a DNS server that answers differently within that instant (DNS
rebinding) could slip through. Feeds are operator-chosen, so we accept that residue.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
import zlib
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator, Mapping
from urllib.parse import urljoin, urlsplit

import brotli
import httpx

log = logging.getLogger(__name__)

__all__ = ["OUTCOMES", "FetchError", "HostGate", "HttpOptions", "Fetcher", "Response",
           "check_url", "host_of", "parse_retry_after"]

# Every outcome a fetch can have. ``ok`` and ``not_modified`` are successes.
OUTCOMES = ("ok", "not_modified", "timeout", "dns", "tls", "connect", "http_4xx", "http_5xx",
            "too_large", "not_a_feed", "blocked", "robots_blocked", "rate_limited", "bad_url",
            "redirect_loop", "empty", "gone", "skipped_content_type", "error")

# Read raw bytes in small pieces: each piece is inflated with a bounded output, so the
# memory a compressed body can claim per step is capped (gzip tops out near 1:1000).
RAW_CHUNK = 16 * 1024
DECODE_STEP = 256 * 1024


class FetchError(Exception):
    """An expected failure of a fetch, with its outcome kind (one of `OUTCOMES`)."""

    def __init__(self, outcome: str, message: str, *, permanent: bool = False, status: int | None = None,
                 retry_after: datetime | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.permanent = permanent
        self.status = status
        self.retry_after = retry_after
        self.url = url

    def __repr__(self) -> str:
        return f"FetchError({self.outcome!r}, {str(self)!r})"


@dataclass(frozen=True)
class HttpOptions:
    """What the client needs to know; built by the shell from the `watch` settings."""

    user_agent: str = "veille (+https://github.com/assemblee-citoyenne-paris/veille)"
    allow_private_networks: bool = False
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 30.0
    max_redirects: int = 5
    min_host_gap: float = 2.0
    retry_after_default: int = 3600


@dataclass
class Response:
    """A completed request: final URL after redirects, status (200 or 304), headers, body."""

    url: str
    status: int
    headers: httpx.Headers
    content: bytes
    redirects: list[tuple[int, str]] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def permanent_redirect(self) -> str | None:
        """The target if every hop was a permanent redirect (301/308), else None."""
        if self.redirects and all(status in (301, 308) for status, _ in self.redirects):
            return self.url
        return None


def host_of(url: str) -> str:
    """The host (lower case, with a non-default port) a URL's politeness is counted on."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        return f"{host}:{parts.port}"
    return host


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """``Retry-After`` as seconds or as an HTTP-date, as an aware UTC time; None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return now + timedelta(seconds=min(int(value), 7 * 86400))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(when.astimezone(timezone.utc), now)


def _address_is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_private_networks: bool,
              resolve: Callable[[str, int], list[str]] | None = None) -> None:
    """Refuse what must never be fetched; raises `FetchError` (``bad_url``, ``dns``, ``blocked``)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError("bad_url", f"malformed URL {url[:200]!r}: {exc}", permanent=True, url=url) from None
    if parts.scheme not in ("http", "https"):
        raise FetchError("bad_url", f"refused scheme {parts.scheme or '(none)'!r} in {url[:200]!r}: "
                         "only http and https are fetched", permanent=True, url=url)
    if parts.username is not None or parts.password is not None:
        raise FetchError("bad_url", "refused URL with credentials (user:password@host)", permanent=True, url=url)
    if not parts.hostname:
        raise FetchError("bad_url", f"no host in {url[:200]!r}", permanent=True, url=url)
    if allow_private_networks:
        return
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = (resolve or _resolve)(parts.hostname, port)
    refused = [a for a in addresses if not _address_is_public(a)]
    if refused:
        raise FetchError("blocked", f"{parts.hostname} resolves to a private or reserved address "
                         f"({refused[0]}); set watch.allow_private_networks only for tests and demos",
                         permanent=True, url=url)


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError("dns", f"cannot resolve {host}: {exc}") from None
    return sorted({info[4][0] for info in infos})


class HostGate:
    """One request in flight per host and a minimum gap between requests to a host.

    Shared by the threads of one process. Across processes, sources are claimed in the
    database so two workers never poll one source at once (see watch/polling.py).
    """

    def __init__(self, min_gap: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.min_gap = min_gap
        self._clock = clock
        self._sleep = sleep
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._last: dict[str, float] = {}

    def _lock(self, host: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(host, threading.Lock())

    def hold(self, host: str) -> "_Held":
        return _Held(self, host)


class _Held:
    def __init__(self, gate: HostGate, host: str) -> None:
        self.gate, self.host = gate, host
        self.lock = gate._lock(host)

    def __enter__(self) -> None:
        self.lock.acquire()
        wait = self.gate._last.get(self.host, -1e18) + self.gate.min_gap - self.gate._clock()
        if wait > 0:
            self.gate._sleep(wait)

    def __exit__(self, *exc: object) -> None:
        self.gate._last[self.host] = self.gate._clock()
        self.lock.release()


class _Decoder:
    """Content-Encoding decoding with a bounded output per step (gzip, deflate, br)."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._zlib = None
        self._brotli = None
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()
            self._raw_deflate_tried = False
        elif encoding == "br":
            self._brotli = brotli.Decompressor()
        elif encoding not in ("", "identity"):
            raise FetchError("error", f"unsupported Content-Encoding {encoding!r}")

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            if self._zlib is not None:
                if self.encoding == "deflate" and not self._raw_deflate_tried and data:
                    self._raw_deflate_tried = True
                    # Some servers send raw deflate without the zlib header.
                    if (data[0] & 0x0F) != 8:
                        self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                out = self._zlib.decompress(data, DECODE_STEP)
                yield out
                while self._zlib.unconsumed_tail:
                    yield self._zlib.decompress(self._zlib.unconsumed_tail, DECODE_STEP)
            elif self._brotli is not None:
                yield self._brotli.process(data, output_buffer_limit=DECODE_STEP)
                while not self._brotli.can_accept_more_data():
                    yield self._brotli.process(b"", output_buffer_limit=DECODE_STEP)
            else:
                yield data
        except (zlib.error, brotli.error) as exc:
            raise FetchError("error", f"cannot decode the {self.encoding} body: {exc}") from None


class Fetcher:
    """The HTTP client; thread-safe, one per crawl. Close it (or use ``with``) when done."""

    def __init__(self, options: HttpOptions, *, gate: HostGate | None = None,
                 transport: httpx.BaseTransport | None = None,
                 resolve: Callable[[str, int], list[str]] | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.options = options
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self.gate = gate or HostGate(options.min_host_gap)
        self._resolve = resolve
        timeout = httpx.Timeout(connect=options.connect_timeout, read=options.read_timeout,
                                write=options.read_timeout, pool=options.total_timeout)
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, transport=transport,
                                    headers={"User-Agent": options.user_agent,
                                             "Accept-Encoding": "gzip, deflate, br"},
                                    limits=httpx.Limits(max_connections=64, max_keepalive_connections=32))

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, *, max_bytes: int, headers: Mapping[str, str] | None = None,
            accept: str | None = None, polite: bool = True) -> Response:
        """GET ``url`` through every check; a `Response` with status 200 or 304, or `FetchError`."""
        started = time.monotonic()
        deadline = started + self.options.total_timeout
        redirects: list[tuple[int, str]] = []
        seen = {url}
        current = url
        extra = dict(headers or {})
        if accept:
            extra["Accept"] = accept
        while True:
            check_url(current, allow_private_networks=self.options.allow_private_networks,
                      resolve=self._resolve)
            if polite:
                with self.gate.hold(host_of(current)):
                    status, response_headers, body = self._one(current, extra, max_bytes, deadline)
            else:
                status, response_headers, body = self._one(current, extra, max_bytes, deadline)
            if status in (301, 302, 303, 307, 308):
                location = response_headers.get("location")
                if not location:
                    raise FetchError("http_5xx" if status >= 500 else "http_4xx",
                                     f"redirect {status} without a Location header", status=status, url=current)
                try:
                    target = urljoin(current, location.strip())
                except ValueError:
                    raise FetchError("bad_url", f"redirect {status} to a malformed URL: {location[:200]!r}",
                                     status=status, url=current) from None
                if len(redirects) >= self.options.max_redirects:
                    raise FetchError("redirect_loop", f"more than {self.options.max_redirects} redirects "
                                     f"(last to {target[:200]})", url=url)
                if target in seen:
                    raise FetchError("redirect_loop", f"redirect loop back to {target[:200]}", url=url)
                seen.add(target)
                redirects.append((status, target))
                # Validators belong to the original URL's representation; a hop drops them.
                extra = {k: v for k, v in extra.items() if k.lower() not in ("if-none-match", "if-modified-since")}
                current = target
                continue
            return self._finish(current, status, response_headers, body, redirects, started)

    def _finish(self, url: str, status: int, headers: httpx.Headers, body: bytes,
                redirects: list[tuple[int, str]], started: float) -> Response:
        elapsed = time.monotonic() - started
        if status in (200, 203):
            if not body:
                raise FetchError("empty", "the server answered 200 with an empty body", status=status, url=url)
            return Response(url, 200, headers, body, redirects, elapsed)
        if status == 304:
            return Response(url, 304, headers, b"", redirects, elapsed)
        now = self._clock()
        if status in (429, 503):
            until = parse_retry_after(headers.get("retry-after"), now)
            if until is None:
                until = now + timedelta(seconds=self.options.retry_after_default)
            raise FetchError("rate_limited", f"HTTP {status}: asked to come back after {until:%Y-%m-%d %H:%M} UTC",
                             status=status, retry_after=until, url=url)
        if status == 410:
            raise FetchError("gone", "HTTP 410 Gone: the resource was removed for good",
                             permanent=True, status=status, url=url)
        if status == 403 and (headers.get("cf-mitigated") == "challenge"
                              or "captcha" in body[:4096].decode("latin-1").lower()):
            raise FetchError("blocked", "HTTP 403 bot wall (challenge page); no evasion is attempted",
                             status=status, url=url)
        if 400 <= status < 500:
            raise FetchError("http_4xx", f"HTTP {status}", status=status, permanent=status in (404, 401),
                             url=url)
        if status >= 500:
            raise FetchError("http_5xx", f"HTTP {status}", status=status, url=url)
        raise FetchError("error", f"unexpected HTTP status {status}", status=status, url=url)

    def _one(self, url: str, headers: Mapping[str, str], max_bytes: int,
             deadline: float) -> tuple[int, httpx.Headers, bytes]:
        """One request, no redirect; the body read within the deadline and the cap."""
        if time.monotonic() >= deadline:
            raise FetchError("timeout", f"no time left for {url[:200]}", url=url)
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                status = response.status_code
                if status in (301, 302, 303, 307, 308, 304) or status >= 400:
                    # Small error pages are read (bot-wall sniffing); the rest is dropped unread.
                    body = self._read(response, 16 * 1024, deadline, url, truncate=True) if status >= 400 else b""
                    return status, response.headers, body
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes \
                        and response.headers.get("content-encoding", "identity") == "identity":
                    raise FetchError("too_large", f"declared {int(declared)} bytes, over the cap of {max_bytes}",
                                     status=status, url=url)
                return status, response.headers, self._read(response, max_bytes, deadline, url)
        except FetchError:
            raise
        except httpx.TimeoutException as exc:
            raise FetchError("timeout", f"{exc.__class__.__name__} on {url[:200]}", url=url) from None
        except httpx.ConnectError as exc:
            text = str(exc)
            if "CERTIFICATE" in text.upper() or "SSL" in text.upper() or "TLS" in text.upper():
                raise FetchError("tls", f"TLS error: {text[:300]}", url=url) from None
            if "name or service not known" in text.lower() or "nodename nor servname" in text.lower() \
                    or "name resolution" in text.lower():
                raise FetchError("dns", f"cannot resolve {urlsplit(url).hostname}: {text[:200]}", url=url) from None
            raise FetchError("connect", f"cannot connect: {text[:300]}", url=url) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise FetchError("connect", f"{exc.__class__.__name__}: {str(exc)[:300]}", url=url) from None
        except httpx.HTTPError as exc:
            raise FetchError("error", f"{exc.__class__.__name__}: {str(exc)[:300]}", url=url) from None

    def _read(self, response: httpx.Response, max_bytes: int, deadline: float, url: str,
              truncate: bool = False) -> bytes:
        decoder = _Decoder(response.headers.get("content-encoding", "identity").strip().lower())
        parts: list[bytes] = []
        size = 0
        # iter_raw() without a chunk size yields what the network delivers, so the deadline is
        # checked even when a server trickles one byte at a time.
        for received in response.iter_raw():
            for start in range(0, len(received), RAW_CHUNK):
                for piece in decoder.feed(received[start:start + RAW_CHUNK]):
                    size += len(piece)
                    parts.append(piece)
                    if size > max_bytes:
                        if truncate:
                            return b"".join(parts)[:max_bytes]
                        raise FetchError("too_large", f"body over the cap of {max_bytes} bytes", url=url)
            if time.monotonic() > deadline:
                raise FetchError("timeout", f"total time limit of {self.options.total_timeout:g} s "
                                 "exceeded while reading", url=url)
        return b"".join(parts)
