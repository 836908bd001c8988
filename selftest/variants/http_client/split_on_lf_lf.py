"""http_client that looks for the end of the header as '\n\n'.

Bug: parse_response() splits header from body at the first b'\n\n', which an HTTP header (lines end in '\r\n') never contains, so the split lands inside the body or nowhere.
Caught by: test_parse_response_splits_at_the_first_blank_line, test_get_a_small_page, test_binary_body_of_several_megabytes, test_response_dribbled_in_small_pieces
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
    head, sep, body = raw.partition(b"\n\n")  # BUG: HTTP lines end in \r\n
    if not sep:
        raise ValueError(f"no blank line after the header in {len(raw)} bytes: incomplete response")
    lines = [line.rstrip("\r") for line in head.decode("latin-1").split("\n")]
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


if __name__ == "__main__":
    import sys

    r = get(sys.argv[1] if len(sys.argv) > 1 else "http://www.sina.com.cn/")
    print(r.status, r.reason)
    for name, value in r.headers.items():
        print(f"{name}: {value}")
    print(f"({len(r.body)} bytes of body)")
