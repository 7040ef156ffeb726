"""Rasters where they live: URLs (``https://``, ``s3://``, ``gs://``, ``az://``) and GDAL paths.

GDAL (through rasterio) reads Cloud-Optimized GeoTIFFs by HTTP range requests, window by
window, so a remote scene is never downloaded whole. A remote input is carried through the
pipeline as a :class:`~pathlib.Path` (of the URL or of its GDAL name, ``/vsis3/bucket/a.tif``):
its ``name``, ``stem`` and parent folders are the URL path's, so output names follow the same
rules as for files. pathlib folds the ``//`` after ``https:``; :func:`gdal_path` restores it
before GDAL sees the name, so any command that takes a raster path takes a URL.

Remote rasters are opened with :data:`REMOTE_OPTIONS` (no directory listing per open, retries
with back-off, timeouts); each may be overridden by the environment variable of the same name.
The HTTP options, which concern remote reads only, are kept as environment defaults for the
reads that follow the open (GDAL reads them at every request).
Credentials come only from GDAL's usual variables and profiles (``AWS_*``,
``GOOGLE_APPLICATION_CREDENTIALS``, ``AZURE_STORAGE_*``), never from the command line.
:func:`check_remote` opens the raster before any work and turns 404, 403 and a server without
range support into one line naming the URL.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import rasterio
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

from landcover.errors import LandcoverIOError

# URL scheme -> GDAL virtual file system prefix.
SCHEMES = {
    "http": "/vsicurl/http://",
    "https": "/vsicurl/https://",
    "s3": "/vsis3/",
    "gs": "/vsigs/",
    "az": "/vsiaz/",
}
URL = re.compile(r"^(https?|s3|gs|az):/+")  # "/+": also the URL as pathlib folds it
# GDAL options for reading remote rasters; an environment variable of the same name wins.
REMOTE_OPTIONS = {
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",  # no listing of the "folder" per open
    "GDAL_HTTP_MAX_RETRY": "4",  # on 429, 5xx and transient network errors
    "GDAL_HTTP_RETRY_DELAY": "1",  # seconds before the first retry (GDAL backs off from it)
    "GDAL_HTTP_TIMEOUT": "60",
    "GDAL_HTTP_CONNECTTIMEOUT": "15",
}
HTTP_OPTIONS = [k for k in REMOTE_OPTIONS if k.startswith("GDAL_HTTP_")]
PROBE_TIMEOUT_S = 15


def is_remote(path: str | Path) -> bool:
    """Whether ``path`` is a URL or a GDAL virtual file system path (``/vsi...``)."""
    text = str(path)
    return text.startswith("/vsi") or URL.match(text) is not None


def gdal_path(path: str | Path) -> str:
    """The name GDAL opens: URLs mapped to ``/vsicurl/``, ``/vsis3/``, ``/vsigs/``,
    ``/vsiaz/``; ``/vsi...`` paths as they are (with ``https:/`` folded by pathlib restored)."""
    text = str(path)
    url = URL.match(text)
    if url is not None:
        return SCHEMES[url[1]] + text[url.end() :]
    return re.sub(r"^(/vsicurl/https?:)/(?!/)", r"\1//", text)


def input_path(path: str | Path) -> Path:
    """``path`` as the pipeline carries it: a local path, or the Path of a remote GDAL name."""
    return Path(gdal_path(path)) if is_remote(path) else Path(path)


def display(path: str | Path) -> str:
    """A path as the user wrote it (a URL for a remote raster), for messages and records."""
    text = gdal_path(path)
    for scheme, prefix in SCHEMES.items():
        if text.startswith(prefix):
            return f"{scheme}://{text[len(prefix) :]}"
    return text


def remote_env() -> dict[str, str]:
    """GDAL options for remote reads: :data:`REMOTE_OPTIONS`, the environment's values first."""
    return {k: os.environ.get(k, v) for k, v in REMOTE_OPTIONS.items()}


def open_remote(path: str | Path) -> Any:
    """Open a remote raster in rasterio, with :func:`remote_env` for the open and its HTTP
    options kept (as environment defaults) for the reads.

    Raises:
        LandcoverIOError: one line naming the URL (not found, access denied, not a raster).
    """
    options = remote_env()
    for key in HTTP_OPTIONS:
        os.environ.setdefault(key, options[key])
    try:
        with rasterio.Env(**options), warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            return rasterio.open(gdal_path(path))
    except RasterioIOError as e:
        raise LandcoverIOError(_reason(str(e)), display(path)) from e


def check_remote(path: str | Path) -> None:
    """Refuse, before any work, a remote raster that cannot be read window by window.

    HTTP(S) URLs are asked for their first byte: 404, 403, other errors and a server that
    answers a range request with the whole file (no range support) are refused. Every remote
    raster is then opened by GDAL (its header only).

    Raises:
        LandcoverIOError: one line naming the URL and the problem.
    """
    url = display(path)
    if url.startswith(("http://", "https://")):
        _probe_range(url)
    with open_remote(path):
        pass


def _probe_range(url: str) -> None:
    """Ask for byte 0 only; a 206 answer means the server reads ranges."""
    # Lazy: urllib.request (with http.client and ssl, ~0.01 s) loads only to check a URL.
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"Range": "bytes=0-0"})
    try:
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT_S) as answer:
            status = answer.status
    except urllib.error.HTTPError as e:
        raise LandcoverIOError(http_reason(e.code), url) from e
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise LandcoverIOError(f"cannot reach the server ({reason})", url) from e
    if status != 206:
        raise LandcoverIOError(
            f"the server does not support range requests (HTTP {status} to a Range request): "
            "it would send the whole file for every window; serve it from a server that "
            "answers Range requests (object stores and most web servers do)",
            url,
        )


def http_reason(code: int) -> str:
    """An HTTP error status in words (what to do about 401/403)."""
    if code == 404:
        return "not found (HTTP 404)"
    if code in (401, 403):
        return (
            f"access denied (HTTP {code}); credentials come from the environment "
            "(AWS_*, GOOGLE_APPLICATION_CREDENTIALS, AZURE_STORAGE_*) or profiles"
        )
    return f"the server answered HTTP {code}"


def _reason(message: str) -> str:
    """GDAL's error on opening a remote raster, in one line."""
    first = message.splitlines()[0] if message else "cannot open"
    code = re.search(r"HTTP (?:response )?code:? ?(\d{3})", message)
    if code:
        return http_reason(int(code.group(1)))
    if "does not exist" in message or "No such file" in message:
        return "not found"
    # "403" alone, not inside the URL's port or path (127.0.0.1:40335 once read as denied)
    denied = re.search(r"(?<![\w.:/-])403(?![\w.])", message)
    if "Access Denied" in message or "AccessDenied" in message or denied:
        return http_reason(403)
    return f"not a readable remote raster ({first[:160]})"


def check_remotes(paths: Sequence[str | Path], threads: int = 8) -> None:
    """:func:`check_remote` for many inputs at once (a few in flight); the first error raised."""
    if not paths:
        return
    with ThreadPoolExecutor(min(threads, len(paths))) as pool:
        for _ in pool.map(check_remote, paths):
            pass
