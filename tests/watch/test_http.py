"""The HTTP seam: timeouts, caps, redirects, decoding, guard, politeness, typed outcomes."""

from __future__ import annotations

import functools
import gzip
import time
import zlib
from typing import Any

import brotli
import pytest

from watch.http import FetchError, Fetcher, HostGate, HttpOptions, check_url, parse_retry_after

from .conftest import Reply, Server


def fetcher(**overrides: Any) -> Fetcher:
    values: dict[str, Any] = dict(user_agent="veille-test/1 (+https://example.org/contact)",
                                  allow_private_networks=True, connect_timeout=2, read_timeout=2,
                                  total_timeout=3, min_host_gap=0.0)
    values.update(overrides)
    return Fetcher(HttpOptions(**values))


def fails_with(outcome: str, call: Any) -> FetchError:
    with pytest.raises(FetchError) as info:
        call()
    assert info.value.outcome == outcome, f"{info.value.outcome}: {info.value}"
    return info.value


def test_the_user_agent_names_us_and_a_contact_url(server: Server) -> None:
    server.route("/f", Reply(200, b"<rss/>"))
    with fetcher() as client:
        client.get(server.url("/f"), max_bytes=1000)
    assert server.log[0].headers["user-agent"] == "veille-test/1 (+https://example.org/contact)"
    assert "br" in server.log[0].headers["accept-encoding"]


def test_a_trickling_server_is_cut_off_by_the_total_deadline(server: Server) -> None:
    def trickle(handler: Any) -> None:
        for _ in range(60):
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.1)

    server.route("/slow", Reply(200, headers={"Content-Length": "1000"}, stream=trickle))
    started = time.monotonic()
    with fetcher(total_timeout=1.5, read_timeout=1) as client:
        fails_with("timeout", lambda: client.get(server.url("/slow"), max_bytes=10_000))
    assert time.monotonic() - started < 3


def test_a_server_that_hangs_after_the_headers_times_out(server: Server) -> None:
    server.route("/hang", Reply(200, headers={"Content-Length": "100"}, stream=lambda h: time.sleep(3)))
    started = time.monotonic()
    with fetcher(read_timeout=0.5) as client:
        fails_with("timeout", lambda: client.get(server.url("/hang"), max_bytes=10_000))
    assert time.monotonic() - started < 2


def test_a_body_over_the_cap_is_too_large_even_without_content_length(server: Server) -> None:
    def big(handler: Any) -> None:
        chunk = b"a" * 65536
        for _ in range(320):  # 20 MiB
            handler.wfile.write(chunk)

    server.route("/big", Reply(200, stream=big))
    with fetcher() as client:
        error = fails_with("too_large", lambda: client.get(server.url("/big"), max_bytes=15 * 1024 * 1024))
    assert "cap" in str(error)


def test_a_declared_length_over_the_cap_is_refused_before_reading(server: Server) -> None:
    server.route("/declared", Reply(200, b"x" * 2000))
    with fetcher() as client:
        fails_with("too_large", lambda: client.get(server.url("/declared"), max_bytes=1000))


@pytest.mark.parametrize("encoding,compress", [
    ("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress)])
def test_compressed_bodies_are_decoded(server: Server, encoding: str, compress: Any) -> None:
    server.route("/c", Reply(200, compress(b"<rss>bonjour</rss>" * 100), {"Content-Encoding": encoding}))
    with fetcher() as client:
        assert client.get(server.url("/c"), max_bytes=100_000).content == b"<rss>bonjour</rss>" * 100


@functools.cache
def bomb(encoding: str) -> bytes:
    """64 MiB of zeros, compressed to a few dozen KiB."""
    zeros = b"\0" * (64 * 1024 * 1024)
    return gzip.compress(zeros, 9) if encoding == "gzip" else brotli.compress(zeros, quality=1)


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_a_decompression_bomb_stops_at_the_cap(server: Server, encoding: str) -> None:
    bomb_body = bomb(encoding)
    assert len(bomb_body) < 512 * 1024
    server.route("/bomb", Reply(200, bomb_body, {"Content-Encoding": encoding}))
    with fetcher() as client:
        fails_with("too_large", lambda: client.get(server.url("/bomb"), max_bytes=15 * 1024 * 1024))


def test_redirects_are_followed_up_to_the_limit(server: Server) -> None:
    for n in range(5):
        server.route(f"/r{n}", Reply(301, headers={"Location": f"/r{n + 1}"}))
    server.route("/r5", Reply(200, b"<rss/>"))
    with fetcher() as client:
        response = client.get(server.url("/r0"), max_bytes=1000)
    assert response.url == server.url("/r5") and len(response.redirects) == 5
    assert response.permanent_redirect == server.url("/r5")


def test_more_than_five_redirects_is_an_error(server: Server) -> None:
    for n in range(7):
        server.route(f"/r{n}", Reply(302, headers={"Location": f"/r{n + 1}"}))
    with fetcher() as client:
        fails_with("redirect_loop", lambda: client.get(server.url("/r0"), max_bytes=1000))
    assert len(server.log) == 6


def test_a_redirect_loop_is_detected(server: Server) -> None:
    server.route("/a", Reply(302, headers={"Location": "/b"}))
    server.route("/b", Reply(302, headers={"Location": "/a"}))
    with fetcher() as client:
        fails_with("redirect_loop", lambda: client.get(server.url("/a"), max_bytes=1000))


def test_a_redirect_to_a_malformed_url_is_a_fetch_error(server: Server) -> None:
    server.route("/a", Reply(302, headers={"Location": "http://[::1/broken"}))
    with fetcher() as client, pytest.raises(FetchError):
        client.get(server.url("/a"), max_bytes=1000)


def test_loopback_is_refused_unless_private_networks_are_allowed(server: Server) -> None:
    server.route("/f", Reply(200, b"<rss/>"))
    with fetcher(allow_private_networks=False) as client:
        fails_with("blocked", lambda: client.get(server.url("/f"), max_bytes=1000))
    assert server.log == []


@pytest.mark.parametrize("target", ["http://127.0.0.1/", "http://169.254.169.254/latest/meta-data/",
                                    "http://10.1.2.3/", "http://192.168.0.1/", "http://172.16.0.1/",
                                    "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/",
                                    "http://100.64.0.1/"])
def test_a_redirect_to_a_private_address_is_refused(target: str) -> None:
    public = {"feed.example": ["93.184.216.34"]}

    def resolve(host: str, port: int) -> list[str]:
        return public.get(host) or [host.strip("[]")]

    import httpx

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": target})

    client = Fetcher(HttpOptions(allow_private_networks=False, min_host_gap=0), resolve=resolve,
                     transport=httpx.MockTransport(handler))
    with client:
        error = fails_with("blocked", lambda: client.get("http://feed.example/rss", max_bytes=1000))
    assert "private or reserved" in str(error)


def test_a_host_with_one_private_address_among_public_ones_is_refused() -> None:
    with pytest.raises(FetchError) as info:
        check_url("http://mixed.example/", allow_private_networks=False,
                  resolve=lambda host, port: ["93.184.216.34", "10.0.0.1"])
    assert info.value.outcome == "blocked"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "javascript:alert(1)", "data:text/html,hi",
                                 "ftp://example.org/x", "http://user:secret@example.org/feed",
                                 "gopher://example.org/"])
def test_odd_schemes_and_credentials_are_refused(url: str) -> None:
    with pytest.raises(FetchError) as info:
        check_url(url, allow_private_networks=True)
    assert info.value.outcome == "bad_url" and info.value.permanent


def test_a_redirect_to_an_odd_scheme_is_refused(server: Server) -> None:
    server.route("/r", Reply(302, headers={"Location": "file:///etc/passwd"}))
    with fetcher() as client:
        fails_with("bad_url", lambda: client.get(server.url("/r"), max_bytes=1000))


def test_an_unknown_host_is_a_dns_error() -> None:
    with fetcher(allow_private_networks=False) as client:
        fails_with("dns", lambda: client.get("http://no-such-host.invalid/feed", max_bytes=1000))


def test_a_closed_port_is_a_connect_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with fetcher() as client:
        fails_with("connect", lambda: client.get(f"http://127.0.0.1:{port}/", max_bytes=1000))


def test_a_tls_handshake_failure_is_a_tls_error(server: Server) -> None:
    # An HTTP server spoken to in TLS: the handshake fails.
    with fetcher() as client:
        error = pytest.raises(FetchError, client.get, f"https://127.0.0.1:{server.port}/", max_bytes=1000).value
    assert error.outcome in ("tls", "connect")


@pytest.mark.parametrize("status,outcome", [(404, "http_4xx"), (500, "http_5xx"), (410, "gone"),
                                            (429, "rate_limited"), (503, "rate_limited")])
def test_statuses_become_typed_outcomes(server: Server, status: int, outcome: str) -> None:
    server.route("/s", Reply(status, b"oops"))
    with fetcher() as client:
        fails_with(outcome, lambda: client.get(server.url("/s"), max_bytes=1000))


def test_a_bot_wall_is_blocked_not_an_ordinary_403(server: Server) -> None:
    server.route("/cf", Reply(403, b"<html>Just a moment...</html>", {"cf-mitigated": "challenge"}))
    with fetcher() as client:
        fails_with("blocked", lambda: client.get(server.url("/cf"), max_bytes=1000))


def test_retry_after_in_seconds_and_as_a_date() -> None:
    from datetime import datetime, timezone

    now = datetime(2026, 11, 16, 9, 0, tzinfo=timezone.utc)
    assert (parse_retry_after("120", now) - now).total_seconds() == 120
    assert parse_retry_after("Mon, 16 Nov 2026 10:00:00 GMT", now) == datetime(2026, 11, 16, 10, tzinfo=timezone.utc)
    assert parse_retry_after("soon", now) is None


def test_an_empty_200_is_an_error(server: Server) -> None:
    server.route("/e", Reply(200, b""))
    with fetcher() as client:
        fails_with("empty", lambda: client.get(server.url("/e"), max_bytes=1000))


def test_one_request_in_flight_per_host_and_a_minimum_gap(server: Server) -> None:
    from concurrent.futures import ThreadPoolExecutor

    server.route("/p", Reply(200, b"<rss/>"))
    with fetcher(min_host_gap=0.3) as client:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: client.get(server.url("/p"), max_bytes=100), range(4)))
    times = sorted(r.at for r in server.log)
    assert server.max_active == 1
    assert all(b - a >= 0.28 for a, b in zip(times, times[1:])), times


def test_the_gate_sleeps_only_for_what_is_left_of_the_gap() -> None:
    now = [100.0]
    slept: list[float] = []
    gate = HostGate(2.0, clock=lambda: now[0], sleep=slept.append)
    with gate.hold("a.example"):
        pass
    now[0] += 0.5
    with gate.hold("a.example"):
        pass
    with gate.hold("b.example"):
        pass
    assert slept == [1.5]
