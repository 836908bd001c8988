"""Tests for http_client: the notes' raw-socket GET (8.18 1.2.1 客户端).

The client is judged against a real HTTP/1.1 server on 127.0.0.1, port 0
(support.http.HTTPServer), which records each request head it receives and
closes the connection after every response. Loopback hands a small response
to one recv() almost every time, so the tests make TCP's other legal
behaviours happen on purpose: support.net.split_reads caps every recv() of
every socket created inside the block (the client's own socket included),
and the server can dribble its answer in small sends or cut it in two inside
the header.

Nothing sleeps, and nothing waits on the success path: the server closes as
soon as it has sent the response. The student's get() is always given
timeout=HANG, so a client that waits for something that never comes fails
with its own socket timeout and a sentence, not with the grader's timeout.
"""
from __future__ import annotations

import contextlib
import random


from support.http import HTTPServer, Response
from support.net import split_reads
from support.student import fail, where

TOPIC = "http_client"

HANG = 3.0  # s: the timeout handed to get(); a correct client never waits for it
MiB = 1024 * 1024

SEE = "See 8.18 1.2.1 客户端."
UNTIL_EOF = ("recv() returns AT MOST the bytes you ask for, and may return fewer at any time: "
             "one recv() is not the whole response, and a short read is not the end. Keep "
             "calling recv() until it returns b'' (the server closed: the response is complete), "
             "as the notes' while-loop does, then join the pieces. " + SEE)
FIRST_BLANK = ("Split header from body at the FIRST b'\\r\\n\\r\\n' only (raw.partition(b'\\r\\n\\r\\n') "
               "or raw.split(b'\\r\\n\\r\\n', 1)): everything after it is the body, even if the body "
               "contains b'\\r\\n\\r\\n' again. HTTP lines end in '\\r\\n', so b'\\n\\n' never marks "
               "the end of the header. " + SEE)
BINARY = ("The body is bytes and must stay bytes: never decode it (an image, a zip file or a "
          "page in GBK is not UTF-8), and write it with open(path, 'wb'). Decode only the header, "
          "as latin-1. " + SEE)

INCOMPLETE = ("The server sent a complete, valid response and closed the connection. Either your "
              "client stopped reading too early (keep calling recv() until it returns b''; one recv() "
              "is not the whole response), or it looks for the end of the header in the wrong place "
              "(the FIRST b'\\r\\n\\r\\n'; HTTP lines end in '\\r\\n'). If test_get_a_small_page "
              "passes, it is the reading. " + SEE)




# --- calling the student's code ------------------------------------------------



def call(doing: str, func, *args, hint: str = "", server: HTTPServer | None = None,
         want: str = "a Response", **kwargs):
    """Call the student's func in the test's thread; turn a crash into a sentence.

    NotImplementedError and the suite's own assertions pass through untouched
    (the grader reports an unfinished function as "not started"). `server`, if
    given, tells whether a complete request ever arrived.
    """
    try:
        return func(*args, **kwargs)
    except (NotImplementedError, AssertionError):
        raise
    except Exception as exc:  # noqa: BLE001 - reported to the student
        extra = ""
        if server is not None and not server.requests and not isinstance(exc, (UnicodeError, ConnectionRefusedError)):
            extra, hint = (f" The server never received a complete request: it waited {HANG:.0f} s "
                           "for the empty line that ends one ('\\r\\n\\r\\n' after the last "
                           "header line), then closed the connection without answering. Send the "
                           "whole request with sendall(). " + SEE), ""
        elif isinstance(exc, TimeoutError):
            extra = (f" The test server had sent the whole response and closed the connection; "
                     f"your client still waited {HANG:.0f} s for more. Did it send the complete "
                     "request (ending in a blank line, '\\r\\n\\r\\n')? ")
        elif isinstance(exc, UnicodeDecodeError):
            extra, hint = " " + BINARY, ""
        elif isinstance(exc, ValueError) and getattr(func, "__name__", "") != "parse_response":
            extra, hint = " " + INCOMPLETE, ""
        fail(f"{doing}: it raised {type(exc).__name__}: {exc}{where(exc)}; it should have "
             f"returned {want}.{extra} {hint}".rstrip())


@contextlib.contextmanager
def serving(routes: dict, **options):
    """A running HTTPServer with a short bound of its own; stopped afterwards."""
    server = HTTPServer(routes, bound=HANG, **options)
    with server:
        yield server


def check_response(got, doing: str) -> None:
    names = ("status", "reason", "headers", "body")
    if not all(hasattr(got, n) for n in names):
        fail(f"{doing}: it returned {type(got).__name__} {got!r:.80}; expected a Response "
             "(the dataclass given in the exercise) with .status, .reason, .headers, .body. " + SEE)


def header(resp, name: str):
    """resp.headers[name], or None if that lookup fails (KeyError)."""
    try:
        return resp.headers[name]
    except KeyError:
        return None


def short(value) -> str:
    """repr(value), or its length and first characters when it is long (no dumps)."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(value)} characters)"


def check_header(resp, name: str, value: str, doing: str, hint: str = "") -> None:
    """headers[name] must be value; say why not (a name kept in its original case?)."""
    have = header(resp, name)
    if have == value:
        return
    keys = list(resp.headers.keys()) if hasattr(resp.headers, "keys") else []
    same = [k for k in keys if isinstance(k, str) and k.lower() == name and k != name]
    if have is None and same:
        fail(f"{doing}: headers[{name!r}] raised KeyError (expected {short(value)}); your headers have "
             f"it as {same[0]!r}. "
             f"Header names are case-insensitive (RFC 9110): store each one as name.lower(), so "
             f"headers[{name!r}] finds it however the server spelled it. " + SEE)
    shown = "raised KeyError" if have is None else f"returned {short(have)}"
    fail(f"{doing}: headers[{name!r}] {shown}; expected {short(value)}. Store each header under its "
         f"name in lower case, the value stripped of the spaces around it. {hint or SEE}")


def explain_body(got, want: bytes, doing: str, hint: str = "",
                 what: str = "the body came back as") -> str | None:
    """None if got == want; else a sentence saying how `what` differs (no dumps)."""
    if isinstance(got, bytes) and got == want:
        return None
    if isinstance(got, (str, bytearray, memoryview)) and not isinstance(got, bytes):
        kind = type(got).__name__
        if kind == "str":
            return f"{doing}, .body came back as a str; it must be bytes. {BINARY}"
        got = bytes(got)
    if not isinstance(got, bytes):
        return f"{doing}, .body came back as {type(got).__name__}; it must be bytes. {BINARY}"
    head = f"{doing}, {what} {len(got)} bytes; expected {len(want)} bytes"
    if b"\xef\xbf\xbd" in got and b"\xef\xbf\xbd" not in want:
        return (f"{head}, and it contains U+FFFD replacement characters (ef bf bd): the bytes "
                f"went through a text decode and back. {BINARY}")
    if len(got) < len(want) and want.startswith(got):
        blank = want.find(b"\r\n\r\n")
        if len(got) == blank:
            return (f"{head}: the first {len(got)} bytes are right, and it stops exactly where the "
                    f"body itself contains b'\\r\\n\\r\\n'. {FIRST_BLANK}")
        lf = want.find(b"\n\n")
        if len(got) == lf:
            return (f"{head}: it stops exactly where the body contains b'\\n\\n'. {FIRST_BLANK}")
        return (f"{head}: the first {len(got)} bytes are right, then nothing: your client stopped "
                f"reading before the end of the stream. {UNTIL_EOF}")
    if len(got) < len(want) and want.endswith(got):
        return (f"{head}: the LAST {len(got)} bytes are right, the first {len(want) - len(got)} "
                f"are missing: the header/body split happened inside the body. {FIRST_BLANK}")
    if len(got) > len(want) and got.endswith(want):
        return (f"{head}: it ends with the right body but has {len(got) - len(want)} extra bytes in "
                "front (part of the header?). " + FIRST_BLANK)
    n = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    return (f"{head}; the first difference is at byte offset {n}. {hint or BINARY}")


def random_body(n: int, seed: int) -> bytes:
    """n seeded random bytes with the troublemakers planted inside: CRLFCRLF, LFLF,
    bytes that are not UTF-8, and a fake status line."""
    rng = random.Random(seed)
    body = bytearray(rng.randbytes(n))
    traps = [b"\r\n\r\n", b"\n\n", b"\xff\xfe\x80", b"HTTP/1.1 200 OK\r\nX: y\r\n\r\n"]
    for i, trap in enumerate(traps):
        at = (i + 1) * n // (len(traps) + 2)
        body[at:at + len(trap)] = trap
    body[10:14] = b"\r\n\r\n"  # one right at the start, too
    return bytes(body)


# --- URLs and parsing (no network) ---------------------------------------------

def test_split_url(mod):
    cases = [
        ("http://www.sina.com.cn", ("www.sina.com.cn", 80, "/")),
        ("http://www.sina.com.cn/", ("www.sina.com.cn", 80, "/")),
        ("http://127.0.0.1:8080/a/b.html", ("127.0.0.1", 8080, "/a/b.html")),
        ("http://127.0.0.1:41234/search?q=socket&page=2", ("127.0.0.1", 41234, "/search?q=socket&page=2")),
    ]
    for url, want in cases:
        got = call(f"split_url({url!r})", mod.split_url, url, want="(host, port, path)")
        if not isinstance(got, (tuple, list)) or tuple(got) != want:
            fail(f"split_url({url!r}) returned {got!r}; expected {want!r}: (host, port, path), "
                 "the port an int (80 when the URL names none), the path '/' when empty, and the "
                 "query string kept on the path. urllib.parse.urlsplit(url) gives .hostname, .port, "
                 ".path and .query. " + SEE)
    for url in ["https://www.sina.com.cn/", "ftp://127.0.0.1/file", "www.sina.com.cn"]:
        try:
            got = mod.split_url(url)
        except ValueError:
            continue
        except NotImplementedError:
            raise
        except Exception as exc:  # noqa: BLE001
            fail(f"split_url({url!r}) raised {type(exc).__name__}: {exc}{where(exc)}; expected "
                 "ValueError: this client speaks plain http:// only. " + SEE)
        fail(f"split_url({url!r}) returned {got!r}; expected ValueError: this client speaks plain "
             "http:// only (no TLS, no FTP, and a URL needs its scheme). " + SEE)


def test_parse_response_splits_at_the_first_blank_line(mod):
    body = b"line one\r\n\r\nline two\n\nHTTP/1.1 500 Fake\r\nX-Fake: yes\r\n\r\nend\xff\xfe"
    raw = (b"HTTP/1.1 404 Not Found\r\n"
           b"Content-Type: text/plain; charset=gbk\r\n"
           b"X-Padded:    lots of space   \r\n"
           b"Content-Length: " + str(len(body)).encode() + b"\r\n"
           b"\r\n" + body)
    doing = f"parse_response() of a 404 response whose {len(body)}-byte body contains '\\r\\n\\r\\n', '\\n\\n' and a fake header"
    got = call(doing, mod.parse_response, raw, hint=FIRST_BLANK)
    check_response(got, doing)
    if got.status != 404 or isinstance(got.status, bool):
        fail(f"{doing}: it returned .status {got.status!r}; expected the int 404 from the "
             f"status line "
             "'HTTP/1.1 404 Not Found'.")
    if got.reason != "Not Found":
        fail(f"{doing}: it returned .reason {got.reason!r}; expected 'Not Found': everything after "
             "the status code (the reason may contain spaces: split the status line at most "
             "twice). " + SEE)
    problem = explain_body(got.body, body, doing, FIRST_BLANK)
    if problem:
        fail(problem)
    if not isinstance(got.headers, dict) and not hasattr(got.headers, "__getitem__"):
        fail(f"{doing}: it returned .headers of type {type(got.headers).__name__}; expected a "
             "dict. " + SEE)
    want_headers = {"content-type": "text/plain; charset=gbk", "x-padded": "lots of space",
                    "content-length": str(len(body))}
    for name, value in want_headers.items():
        check_header(got, name, value, doing)
    if header(got, "x-fake") is not None:
        fail(f"{doing}: the headers it returned include 'x-fake', which is inside the body, after "
             f"the first blank line: the header must end there. {FIRST_BLANK}")

    # the empty body, and a header that never ends
    got = call("parse_response() of a 204 response with an empty body", mod.parse_response,
               b"HTTP/1.1 204 No Content\r\nServer: test\r\n\r\n")
    check_response(got, "parse_response() of a 204 response with an empty body")
    if got.status != 204 or got.body != b"":
        fail(f"parse_response(b'HTTP/1.1 204 No Content\\r\\nServer: test\\r\\n\\r\\n') gave status "
             f"{got.status!r} and body {got.body!r}; expected 204 and b'' (nothing after the "
             "blank line is an empty body). " + SEE)
    cut = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
    try:
        got = mod.parse_response(cut)
    except ValueError:
        return
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001
        fail(f"parse_response() of a header that never ends (no blank line) raised "
             f"{type(exc).__name__}: {exc}{where(exc)}; expected ValueError (incomplete "
             "response). " + SEE)
    fail(f"parse_response(b'HTTP/1.1 200 OK\\r\\nContent-Length: 5\\r\\n') returned {got!r:.120}; "
         "there is no blank line, so the header never ended: it should raise ValueError "
         "(incomplete response). " + SEE)


# --- against a real server --------------------------------------------------------

def test_get_a_small_page(mod):
    page = b"<html><body>Hello, 8.18!</body></html>\n"
    with serving({"/index.html": Response(200, page, {"Content-Type": "text/html"})}) as server:
        url = server.url("/index.html")
        doing = f"get({url!r}) from a server answering 200 OK with a {len(page)}-byte page"
        got = call(doing, mod.get, url, server=server, timeout=HANG)
    check_response(got, doing)
    if got.status != 200 or got.reason != "OK":
        fail(f"{doing}: it returned status {got.status!r}, reason {got.reason!r}; expected 200 and "
             "'OK'. " + SEE)
    problem = explain_body(got.body, page, doing)
    if problem:
        fail(problem)
    check_header(got, "content-type", "text/html", doing)


def test_request_is_http11_with_host_and_connection_close(mod):
    with serving({"/a/b.html?x=1&y=2": Response(200, b"ok")}) as server:
        url = server.url("/a/b.html?x=1&y=2")
        doing = f"get({url!r})"
        got = call(doing, mod.get, url, server=server, timeout=HANG)
        requests = list(server.requests)
    check_response(got, doing)
    if len(requests) != 1:
        fail(f"{doing}: the server received {len(requests)} requests; expected exactly one. " + SEE)
    head = requests[0]
    shown = head[:300].decode("latin-1")
    if not head.endswith(b"\r\n\r\n"):
        fail(f"{doing}: the request the server received, {shown!r}, does not end with a blank line "
             "'\\r\\n\\r\\n'. A request must end with an empty line, or the server waits for "
             "more. " + SEE)
    bare = [i for i, c in enumerate(head) if c == 0x0A and (i == 0 or head[i - 1] != 0x0D)]
    if bare:
        fail(f"{doing}: the server received the request {shown!r}, with a line ending in a bare "
             f"'\\n' (offset {bare[0]}). HTTP lines must end in '\\r\\n', the blank line too. "
             f"" + SEE)
    lines = head[:-4].decode("latin-1").split("\r\n")
    want_line = "GET /a/b.html?x=1&y=2 HTTP/1.1"
    if lines[0] != want_line:
        fail(f"{doing}: the server received the request line {lines[0]!r}; expected "
             f"{want_line!r}: method, the path with its query, and the version HTTP/1.1, "
             "separated by single spaces. " + SEE)
    fields = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            fail(f"{doing}: the server received a request line {line!r} that is not 'Name: "
                 "value'; every line after the request line must be a header. " + SEE)
        fields[name.strip().lower()] = value.strip()
    host = f"127.0.0.1:{server.port}"
    if "host" not in fields:
        fail(f"{doing}: the server received the request {shown!r}, which has no Host header; an "
             f"HTTP/1.1 request must have one ('Host: {host}', the port included when it is not "
             "80): one server address can serve "
             "many sites, like the notes' 'Host: www.baidu.com'. " + SEE)
    if fields["host"] != host:
        fail(f"{doing}: the server received the Host header {fields['host']!r}; expected "
             f"{host!r}: the host, and ':PORT' when the port is not 80. " + SEE)
    if fields.get("connection", "").lower() != "close":
        fail(f"{doing}: the server received the request {shown!r}, which has no 'Connection: "
             "close'; the request must carry it. Without it an HTTP/1.1 "
             "server keeps the connection open after the response, and a client that reads until "
             "recv() returns b'' waits for ever. " + SEE)


def test_header_names_are_case_insensitive(mod):
    headers = {"content-TYPE": "image/png", "X-Powered-By": "curio", "SERVER": "test/1.0",
               "x-spaced": "   padded value   "}
    with serving({"/logo.png": Response(200, b"\x89PNG\r\n\x1a\n", headers)}) as server:
        url = server.url("/logo.png")
        doing = (f"get({url!r}) from a server that spells its header names 'content-TYPE', "
                 "'X-Powered-By', 'SERVER', 'Content-Length'")
        got = call(doing, mod.get, url, server=server, timeout=HANG)
    check_response(got, doing)
    want = {"content-type": "image/png", "x-powered-by": "curio", "server": "test/1.0",
            "content-length": "8", "x-spaced": "padded value"}
    for name, value in want.items():
        check_header(got, name, value, doing)


def test_response_dribbled_in_small_pieces(mod):
    page = b"".join(b"<p>line %d of a page sent 7 bytes at a time</p>\r\n" % i for i in range(60))
    with serving({"/": Response(200, page, {"Content-Type": "text/html"})}, dribble=7) as server:
        url = server.url("/")
        doing = (f"get({url!r}), the server sending its {len(page)}-byte page in 7-byte pieces and "
                 "every recv() capped at 5 bytes")
        with split_reads(5):
            got = call(doing, mod.get, url, server=server, timeout=HANG, hint=UNTIL_EOF)
    check_response(got, doing)
    if got.status != 200:
        fail(f"{doing}: it returned status {got.status!r}; expected 200. {UNTIL_EOF}")
    problem = explain_body(got.body, page, doing, UNTIL_EOF)
    if problem:
        fail(problem)


def test_header_split_across_reads(mod):
    page = b"<html>the header came in two pieces</html>"
    resp = Response(200, page, {"Content-Type": "text/html", "X-Long-Header": "v" * 300})
    raw = resp.encode()
    blank = raw.index(b"\r\n\r\n")
    cuts = [("inside the status line", 6), ("inside a header line", blank // 2),
            ("between the two '\\r\\n' of the blank line", blank + 2)]
    for what, at in cuts:
        with serving({"/": resp}, split_at=at) as server:
            url = server.url("/")
            doing = (f"get({url!r}), the response cut in two sends {what} (at byte {at}) and every "
                     "recv() given random sizes of 1-64 bytes")
            with split_reads(seed=at, high=64):
                got = call(doing, mod.get, url, server=server, timeout=HANG, hint=UNTIL_EOF)
        check_response(got, doing)
        if got.status != 200:
            fail(f"{doing}: it returned status {got.status!r}; expected 200. " + UNTIL_EOF)
        check_header(got, "x-long-header", "v" * 300, doing,
                     "Parse only after reading the whole response. " + UNTIL_EOF)
        problem = explain_body(got.body, page, doing, UNTIL_EOF)
        if problem:
            fail(problem)


def test_binary_body_of_several_megabytes(mod):
    body = random_body(3 * MiB, seed=818)
    with serving({"/big.bin": Response(200, body, {"Content-Type": "application/octet-stream"})}) as server:
        url = server.url("/big.bin")
        doing = (f"get({url!r}), a 3 MiB body of random bytes (with '\\r\\n\\r\\n', '\\n\\n' and "
                 "non-UTF-8 bytes inside), every recv() given random sizes up to 64 KiB")
        with split_reads(seed=818, high=65536):
            got = call(doing, mod.get, url, server=server, timeout=HANG)
    check_response(got, doing)
    if got.status != 200:
        fail(f"{doing}: it returned status {got.status!r}; expected 200. " + SEE)
    problem = explain_body(got.body, body, doing)
    if problem:
        fail(problem)
    check_header(got, "content-length", str(len(body)), doing)


def test_404_is_an_answer_not_an_error(mod):
    with serving({"/": Response(200, b"home")}) as server:
        url = server.url("/no/such/page.html")
        doing = f"get({url!r}) for a page the server does not have"
        got = call(doing, mod.get, url, server=server, timeout=HANG,
                   hint="A 404 is a complete, valid HTTP response: return it like any other.")
    check_response(got, doing)
    if got.status != 404 or got.reason != "Not Found":
        fail(f"{doing}: it returned status {got.status!r}, reason {got.reason!r}; expected 404 and "
             "'Not Found' from the status line 'HTTP/1.1 404 Not Found'. " + SEE)
    problem = explain_body(got.body, b"not found\n", doing)
    if problem:
        fail(problem)


def test_download_writes_the_body_in_binary(mod, tmp_path):
    body = random_body(256 * 1024, seed=1821)
    with serving({"/file.zip": Response(200, body, {"Content-Type": "application/zip"})}) as server:
        url = server.url("/file.zip")
        path = tmp_path / "file.zip"
        doing = (f"download({url!r}, path), a 256 KiB body of random bytes (with '\\r\\n', "
                 "'\\r\\n\\r\\n' and non-UTF-8 bytes inside)")
        got = call(doing, mod.download, url, str(path), server=server, timeout=HANG)
    if not path.exists():
        fail(f"{doing}: it returned, but no file was written at the path given. download() must "
             "open(path, 'wb') and write the body. " + SEE)
    saved = path.read_bytes()
    problem = explain_body(saved, body, f"After {doing}", what="the file it wrote was")
    if problem:
        fail(problem)
    check_response(got, doing)
    if got.status != 200:
        fail(f"{doing}: it returned status {got.status!r}; expected the Response, status 200. "
             + SEE)
