"""Real servers on 127.0.0.1 for the remote-input tests: HTTP with Range, and S3 (moto).

Each server runs in its own process, as a real one does: rasterio holds the GIL while GDAL
opens a dataset, so a server thread in the test's own process would never answer it.

:class:`RangeServer` serves a folder over HTTP/1.1 (``python -m tests.remote_servers ROOT``):
``Range: bytes=a-b`` gets ``206 Partial Content`` (or is ignored, ``ranges=False``, as by a
server without range support); the bytes of file content sent per file are counted
(``GET /__sent__`` returns them as JSON); ``die=(name, offset)`` makes the process exit at
once, without answering, on the first request for file ``name`` that starts at or beyond
byte ``offset``: a server that dies mid-run, once the scenes' headers have been read.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"test server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"no test server on port {port}")


class RangeServer:
    """An HTTP server of ``root`` on 127.0.0.1 in a child process (see module doc)."""

    def __init__(
        self,
        root: Path,
        port: int | None = None,
        ranges: bool = True,
        die: tuple[str, int] | None = None,
    ) -> None:
        self.root = root
        self.port = port or free_port()
        cmd = [sys.executable, "-m", "tests.remote_servers", str(root), str(self.port)]
        if not ranges:
            cmd.append("--no-ranges")
        if die is not None:
            cmd += ["--die", f"{die[0]}:{die[1]}"]
        self.proc = subprocess.Popen(cmd, cwd=REPO)
        _wait_for(self.port, self.proc)

    def url(self, name: str) -> str:
        """The URL of a file of ``root``."""
        return f"http://127.0.0.1:{self.port}/{name}"

    def sent(self) -> Counter[str]:
        """Bytes of file content sent so far, per file name."""
        with urllib.request.urlopen(self.url("__sent__")) as answer:
            return Counter(json.loads(answer.read()))

    def stop(self) -> None:
        """Kill the server (new connections are refused)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def __enter__(self) -> RangeServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _handler(root: Path, ranges: bool, die: tuple[str, int] | None) -> type[Any]:
    sent: Counter[str] = Counter()
    lock = threading.Lock()

    class Handler(SimpleHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
            self._answer(body=False)

        def do_GET(self) -> None:  # noqa: N802
            self._answer(body=True)

        def _answer(self, body: bool) -> None:
            name = self.path.lstrip("/").split("?")[0]
            if name == "__sent__":
                with lock:
                    self._send(200, json.dumps(sent).encode(), "application/json", body)
                return
            path = root / name
            if not path.is_file():
                self.send_error(404)
                return
            size = path.stat().st_size
            asked = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
            if die is not None and name == die[0] and asked and int(asked[1]) >= die[1]:
                os._exit(1)  # dies mid-run, this request unanswered
            if not (ranges and asked):
                self._send(200, path.read_bytes(), "image/tiff", body, name)
                return
            start, end = int(asked[1]), min(int(asked[2] or size - 1), size - 1)
            with open(path, "rb") as f:
                f.seek(start)
                data = f.read(end - start + 1)
            extra = {"Content-Range": f"bytes {start}-{end}/{size}"}
            self._send(206, data, "image/tiff", body, name, extra)

        def _send(
            self,
            status: int,
            data: bytes,
            kind: str,
            body: bool,
            name: str | None = None,
            extra: dict[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            if ranges:
                self.send_header("Accept-Ranges", "bytes")
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if body:
                self.wfile.write(data)
                if name is not None:
                    with lock:
                        sent[name] += len(data)

    return Handler


class S3Server:
    """A moto S3-compatible server on 127.0.0.1 in a child process, with GDAL's and boto3's
    settings for it (dummy keys, path-style, plain HTTP) set through ``monkeypatch``."""

    def __init__(self, monkeypatch: Any) -> None:
        import boto3

        self.port = free_port()
        cmd = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for(self.port, self.proc)
        env = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_S3_ENDPOINT": f"127.0.0.1:{self.port}",
            "AWS_HTTPS": "NO",
            "AWS_VIRTUAL_HOSTING": "FALSE",
        }
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        self.client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{self.port}")

    def __enter__(self) -> S3Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.kill()
        self.proc.wait()


def main() -> None:
    """``python -m tests.remote_servers ROOT PORT [--no-ranges] [--die NAME:OFFSET]``."""
    p = argparse.ArgumentParser()
    p.add_argument("root", type=Path)
    p.add_argument("port", type=int)
    p.add_argument("--no-ranges", action="store_true")
    p.add_argument("--die")
    a = p.parse_args()
    die = None
    if a.die:
        name, offset = a.die.rsplit(":", 1)
        die = (name, int(offset))
    server = ThreadingHTTPServer(("127.0.0.1", a.port), _handler(a.root, not a.no_ranges, die))
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
