"""Real servers on 127.0.0.1 for the remote-input tests: HTTP with Range, and S3 (moto).

:class:`RangeServer` serves a folder over HTTP/1.1 from a thread, answers ``Range: bytes=a-b``
with ``206 Partial Content`` (or ignores it, ``ranges=False``, as a server without range support
does), counts the bytes of file content it sends per file, and can be killed: ``die_when`` is a
predicate on ``(file name, first byte asked)`` that, when true for a request, drops that
connection and shuts the server down, as a server that dies mid-run.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class RangeServer:
    """A threaded HTTP server of ``root`` on 127.0.0.1 (``port`` 0: any free one)."""

    def __init__(self, root: Path, port: int = 0, ranges: bool = True) -> None:
        self.root = root
        self.ranges = ranges
        self.sent: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.die_when: Callable[[str, int], bool] | None = None
        self.dead = threading.Event()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def url(self, name: str) -> str:
        """The URL of a file of ``root``."""
        return f"http://127.0.0.1:{self.port}/{name}"

    def count(self, name: str, nbytes: int) -> None:
        """Add ``nbytes`` sent of file ``name``."""
        with self._lock:
            self.sent[name] += nbytes
            self.requests[name] += 1

    def stop(self) -> None:
        """Stop serving and close the listening socket (new connections are refused)."""
        self.dead.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> RangeServer:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.dead.is_set():
            self.stop()


def _handler(server: RangeServer) -> type[SimpleHTTPRequestHandler]:
    class Handler(SimpleHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(server.root), **kwargs)

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
            self._answer(body=False)

        def do_GET(self) -> None:  # noqa: N802
            self._answer(body=True)

        def _answer(self, body: bool) -> None:
            name = self.path.lstrip("/").split("?")[0]
            path = server.root / name
            if not path.is_file():
                self.send_error(404)
                return
            data = path.read_bytes()
            start, end = 0, len(data) - 1
            asked = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
            if server.die_when is not None and server.die_when(name, int(asked[1]) if asked else 0):
                self.close_connection = True
                threading.Thread(target=server.stop, daemon=True).start()
                return
            partial = server.ranges and asked is not None
            if partial:
                start = int(asked[1])
                end = min(int(asked[2]) if asked[2] else end, end)
            self.send_response(206 if partial else 200)
            self.send_header("Content-Type", "image/tiff")
            self.send_header("Content-Length", str(end - start + 1))
            if partial:
                self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
            if server.ranges:
                self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            if body:
                self.wfile.write(data[start : end + 1])
                server.count(name, end - start + 1)

    return Handler


def moto_s3(monkeypatch: Any) -> Any:
    """A moto S3 server on 127.0.0.1 and GDAL/boto3 pointed at it with dummy keys; returns
    ``(server, boto3 client)``; call ``server.stop()`` at the end."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_S3_ENDPOINT": f"{host}:{port}",
        "AWS_HTTPS": "NO",
        "AWS_VIRTUAL_HOSTING": "FALSE",
        "AWS_NO_SIGN_REQUEST": "NO",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    client = boto3.client("s3", endpoint_url=f"http://{host}:{port}", region_name="us-east-1")
    return server, client
