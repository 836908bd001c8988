"""A raw-socket HTTP/1.1 client: the notes' GET of a web page, done right.

Seed: 8.18 1.2.1 客户端. The notes connect to port 80, send
"GET / HTTP/1.1\\r\\nHost: ...\\r\\nConnection: close\\r\\n\\r\\n", read with
recv(1024) until recv() returns b"" (the server closed: the response is
complete), split header from body at the first blank line and save the body
with open(..., "wb"). This module keeps that design:

    split_url()       "http://host:port/path?q" -> (host, port, "/path?q")
    get()             connect, send the request, read until EOF, parse
    parse_response()  bytes -> Response; headers as a dict with lower-case names
    download()        get() and write the body to a file, in binary

The body is bytes and stays bytes: a page, an image or a zip file are all
just bytes, and only the header (ASCII/latin-1 text) is decoded.
"""
from __future__ import annotations

import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_TIMEOUT = 5.0  # seconds any one connect()/recv() may wait


@dataclass
class Response:
    status: int                                 # 200
    reason: str                                 # "OK"
    headers: dict = field(default_factory=dict)  # lower-case name -> value
    body: bytes = b""                           # exactly the bytes after the blank line


def split_url(url: str) -> tuple[str, int, str]:
    """'http://host[:port][/path][?query]' -> (host, port, path_with_query)."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"not an http:// URL: {url!r}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.hostname, parts.port or 80, path


def _build_request(host: str, port: int, path: str) -> bytes:
    host_header = host if port == 80 else f"{host}:{port}"
    lines = [f"GET {path} HTTP/1.1", f"Host: {host_header}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")  # every line ends in \r\n, then a blank line


def parse_response(raw: bytes) -> Response:
    """Split at the FIRST blank line; parse the status line and the headers."""
    head, sep, body = raw.partition(b"\r\n\r\n")  # the body may contain \r\n\r\n too
    if not sep:
        raise ValueError(f"no blank line after the header in {len(raw)} bytes: incomplete response")
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/") or not code.isdigit():
        raise ValueError(f"not an HTTP status line: {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            raise ValueError(f"not a header line: {line!r}")
        headers[name.strip().lower()] = value.strip()  # names are case-insensitive
    return Response(int(code), reason, headers, body)


def get(url: str, timeout: float = DEFAULT_TIMEOUT) -> Response:
    host, port, path = split_url(url)
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(_build_request(host, port, path))
        # "Connection: close": the server closes when it is done, so the
        # response ends where the stream ends. recv() may return any number
        # of bytes; only b"" means the end.
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return parse_response(b"".join(chunks))  # one join: no quadratic +=


def download(url: str, path, timeout: float = DEFAULT_TIMEOUT) -> Response:
    response = get(url, timeout)
    with open(path, "wb") as f:  # binary: the bytes exactly as they came
        f.write(response.body)
    return response


if __name__ == "__main__":  # pragma: no cover  (a demo: python solutions/http_client.py)
    import sys

    r = get(sys.argv[1] if len(sys.argv) > 1 else "http://www.sina.com.cn/")
    print(r.status, r.reason)
    for name, value in r.headers.items():
        print(f"{name}: {value}")
    print(f"({len(r.body)} bytes of body)")
