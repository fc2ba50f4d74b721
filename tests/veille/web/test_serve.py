"""`veille serve`: the command starts uvicorn on the configured database, or says what is wrong."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from veille.cli import app as cli_app
from veille.cli.common import run_guarded


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_on_a_missing_database_says_to_run_init(tmp_path: Path, capsys) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\n", encoding="utf-8")
    (tmp_path / "data").mkdir()
    code = run_guarded(cli_app, ["--config", str(config), "serve"])
    assert code == 3
    assert "veille init" in capsys.readouterr().err


@pytest.mark.slow  # `veille init` trains the first theme model (about 20 s on 2 busy cores)
def test_serve_answers_on_the_given_port(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\n", encoding="utf-8")
    veille = [sys.executable, "-m", "veille", "--config", str(config)]
    subprocess.run([*veille, "init"], check=True, capture_output=True, timeout=120)
    port = free_port()
    server = subprocess.Popen([*veille, "serve", "--host", "127.0.0.1", "--port", str(port)],
                              env={**os.environ}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.HTTPError:
                assert server.poll() is None, server.stderr.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "veille serve did not answer"
                time.sleep(0.2)
        assert response.status_code == 200 and "Connexion" in response.text
        assert "server" not in response.headers  # no version banner
    finally:
        server.terminate()
        server.wait(timeout=10)
