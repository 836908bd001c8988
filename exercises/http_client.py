"""Exercise: a raw-socket HTTP/1.1 client (seed: 8.18 1.2.1 客户端).

The notes fetch a web page with nothing but a socket: connect to port 80,
send "GET / HTTP/1.1\\r\\nHost: www.baidu.com\\r\\nConnection: close\\r\\n\\r\\n",
call recv(1024) in a loop until it returns b"" ("直到recv()返回空数据，表示接收
完毕"), split the header from the page at the first blank line, print the
header and save the page with open('baidu.html', 'wb'). Build the same client
as four functions, and make it work for any URL, any body, any way TCP
chooses to deliver the bytes.

The request (HTTP/1.1; every line ends in "\\r\\n", a blank line ends it):

    GET /path?query HTTP/1.1\\r\\n
    Host: HOST:PORT\\r\\n              (just "Host: HOST" when the port is 80)
    Connection: close\\r\\n
    \\r\\n

    "Host" is required by HTTP/1.1: one server address can host many sites.
    "Connection: close" asks the server to close the connection once the
    response is sent, so the response ends exactly where the stream ends.

The response:

    HTTP/1.1 200 OK\\r\\n               status line: version, status, reason
    Content-Type: text/html\\r\\n       header lines "Name: value"
    Content-Length: 1234\\r\\n
    \\r\\n                              the FIRST blank line ends the header
    <body: any bytes at all, 0 or more, up to the end of the stream>

Four things the tests check, and the notes' code leaves to luck:

1. recv() returns AT MOST the number of bytes you ask for: the response can
   arrive in pieces of any size, even the header split in two. One recv() is
   not the whole response, and a short read is not the end: only b"" is.
   Read until b"" (as the notes do), and join the pieces once at the end.
2. Split at the FIRST "\\r\\n\\r\\n" only (bytes.partition, or
   split(sep, 1)): the body may contain "\\r\\n\\r\\n" itself. HTTP ends its
   lines with "\\r\\n", so looking for "\\n\\n" finds nothing in the header.
3. The body is bytes, and stays bytes: an image, a zip file or a page in
   GBK are not UTF-8. Decode only the header (it is latin-1/ASCII text), and
   write the body to a file opened with "wb".
4. Header names are case-insensitive: "Content-Type", "content-type" and
   "CONTENT-TYPE" are one header. Response.headers is a plain dict whose keys
   are the names in lower case (value stripped of surrounding spaces), so
   response.headers["content-type"] finds it however the server spelled it.
   (If a name comes twice, keep the last value.)

A status such as 404 is an answer, not an error: get() returns it like any
other response.

Run the tests:   python -m grader http_client
"""
from __future__ import annotations

import socket
from dataclasses import dataclass, field

DEFAULT_TIMEOUT = 5.0  # seconds any one connect()/recv() may wait: socket.create_connection(..., timeout)


@dataclass
class Response:
    """One parsed HTTP response (given: no TODO here)."""

    status: int                                 # 200
    reason: str                                 # "OK" ("" if the status line has none)
    headers: dict = field(default_factory=dict)  # lower-case name -> value, e.g. {"content-type": "text/html"}
    body: bytes = b""                           # exactly the bytes after the first blank line


def split_url(url: str) -> tuple[str, int, str]:
    """Split 'http://HOST[:PORT][/PATH][?QUERY]' into (HOST, PORT, PATH).

    PORT defaults to 80, PATH to "/"; the query stays on the path:

        split_url("http://www.sina.com.cn")           -> ("www.sina.com.cn", 80, "/")
        split_url("http://127.0.0.1:8080/a/b?x=1")    -> ("127.0.0.1", 8080, "/a/b?x=1")

    Anything that is not an http:// URL (https://, ftp://, no scheme) raises
    ValueError: this client speaks plain HTTP only. urllib.parse.urlsplit
    does the splitting for you.
    """
    # TODO
    raise NotImplementedError("split_url")


def parse_response(raw: bytes) -> Response:
    """Parse a whole response (header and body, as read from the socket).

    - Split at the FIRST b"\\r\\n\\r\\n": header before, body after (bytes,
      untouched). No blank line at all: raise ValueError (incomplete).
    - Decode only the header, as latin-1; split it into lines at "\\r\\n".
    - Status line "HTTP/1.1 404 Not Found" -> status 404, reason "Not Found"
      (the reason may contain spaces, or be missing: "").
    - Every other line is "Name: value": headers[name.lower()] = value.strip().
    """
    # TODO
    raise NotImplementedError("parse_response")


def get(url: str, timeout: float = DEFAULT_TIMEOUT) -> Response:
    """GET `url` over a raw socket and return the parsed Response.

    Connect (socket.create_connection((host, port), timeout=timeout)), send
    the request above with sendall(), then recv() until it returns b"",
    close the socket (use `with`), and parse what you read.
    """
    # TODO
    raise NotImplementedError("get")


def download(url: str, path, timeout: float = DEFAULT_TIMEOUT) -> Response:
    """GET `url`, write the body (whatever the status) to the file `path`
    in binary ("wb"), byte for byte, and return the Response."""
    # TODO
    raise NotImplementedError("download")
