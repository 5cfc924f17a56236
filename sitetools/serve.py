"""Serve a built site on 127.0.0.1, for the browser tests and the Lighthouse benchmark.

A static host (GitHub Pages, say) compresses text, so this server gzips HTML, CSS, JavaScript,
JSON and SVG for a client that accepts it: what a browser measures here is what readers get.

    python -m sitetools.serve site        # then open the address it prints
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import io
import os
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO

__all__ = ["serve"]

_TYPES = {
    ".js": "text/javascript",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
}
_COMPRESSIBLE = {".html", ".css", ".js", ".json", ".svg", ".txt", ".xml", ".map"}


class _Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real host
    base = "/"  # the path the site is served under (see `serve`)

    def translate_path(self, path: str) -> str:
        # Under a base path, as GitHub Pages serves a project site: outside it, nothing.
        if self.base != "/":
            if not path.startswith(self.base):
                return str(Path(self.directory) / ".not-served")
            path = "/" + path[len(self.base) :]
        return super().translate_path(path)

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        # Python's table lacks the web fonts on some versions; a browser warns about a wrong type.
        return _TYPES.get(Path(path).suffix) or super().guess_type(path)

    def send_head(self) -> BinaryIO | io.BytesIO | None:
        path = Path(self.translate_path(self.path))
        if path.is_dir() and self.path.split("?", 1)[0].endswith("/"):
            path = path / "index.html"
        accepts_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (accepts_gzip and path.suffix in _COMPRESSIBLE and path.is_file()):
            return super().send_head()
        stat = path.stat()
        body = _gzipped(str(path), stat.st_mtime_ns, stat.st_size)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: a test or a benchmark prints only what it measures."""


@functools.lru_cache(maxsize=512)
def _gzipped(path: str, mtime_ns: int, size: int) -> bytes:
    # mtime and size are part of the cache key, so a rebuilt file is compressed again.
    del mtime_ns, size
    return gzip.compress(Path(path).read_bytes(), compresslevel=6, mtime=0)


@contextlib.contextmanager
def serve(directory: str | os.PathLike[str], *, port: int = 0, base: str = "/") -> Iterator[str]:
    """Serve `directory` on 127.0.0.1 in a background thread, for the length of a `with` block.

    Args:
        directory: The built site (the folder that holds `index.html`).
        port: The port to listen on; 0 picks a free one.
        base: The path the site is served under, as its `site_url` has it (a project site
            on GitHub Pages is under `/<repository>/`, and its 404 page links there).

    Returns:
        A context manager that yields the site's address, ending in `/`.

    Raises:
        FileNotFoundError: If `directory` holds no `index.html`.

    Examples:
        >>> import tempfile, urllib.request
        >>> folder = tempfile.mkdtemp()
        >>> _ = (Path(folder) / "index.html").write_text("<h1>hello</h1>")
        >>> with serve(folder) as url:
        ...     urllib.request.urlopen(url).read()
        b'<h1>hello</h1>'

    See: docs/contributing/index.md
    """
    root = Path(directory)
    if not (root / "index.html").is_file():
        raise FileNotFoundError(
            f"`directory` must be a built site with an index.html. Received: directory={root}"
        )
    if not (base.startswith("/") and base.endswith("/")):
        raise ValueError(f"`base` must start and end with '/'. Received: base={base!r}")
    handler_class = type("_BasedHandler", (_Handler,), {"base": base})
    handler = functools.partial(handler_class, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, name="sitetools.serve", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{base}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def main(argv: list[str]) -> int:
    """Serve the folder named on the command line (default `site`) until interrupted."""
    with serve(argv[0] if argv else "site", port=int(argv[1]) if len(argv) > 1 else 0) as url:
        print(f"serving on {url} (Ctrl-C stops)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
