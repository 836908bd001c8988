"""async_io whose connection handler never closes its writer.

Bug: The handler returns at EOF (or on cancellation) without writer.close(), so the client never sees the connection end and the transport stays open.
Caught by: test_server_says_hello, test_stop_closes_connections_and_leaves_no_tasks
"""
from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit


class HelloServer:
    """Line protocol: 'NAME' -> 'hello NAME'; 'sleep S' -> after S seconds, 'slept S'."""

    def __init__(self, host="127.0.0.1", port=0):
        self.host = host
        self.port = port
        self._server = None
        self._handlers = set()  # the tasks serving one connection each

    async def start(self):
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def _serve(self, reader, writer):
        me = asyncio.current_task()
        self._handlers.add(me)
        try:
            while line := await reader.readline():
                text = line.decode("utf-8", "replace").rstrip("\r\n")
                if text.startswith("sleep "):
                    seconds = text.split(" ", 1)[1]
                    await asyncio.sleep(float(seconds))  # waits without blocking the loop
                    reply = f"slept {seconds}"
                else:
                    reply = f"hello {text}"
                writer.write(reply.encode("utf-8") + b"\n")
                await writer.drain()  # wait if the client reads slowly
        except ConnectionError:
            pass  # the client went away: nothing to answer
        finally:
            self._handlers.discard(me)

    async def stop(self):
        self._server.close()  # no new connections
        handlers = list(self._handlers)
        for task in handlers:
            task.cancel()  # CancelledError at their await; their finally closes the writer
        await asyncio.gather(*handlers, return_exceptions=True)
        await self._server.wait_closed()


async def _get(url):
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
    try:
        request = (f"GET {parts.path or '/'} HTTP/1.0\r\nHost: {parts.netloc}\r\n"
                   f"Connection: close\r\n\r\n")
        writer.write(request.encode("latin-1"))
        await writer.drain()
        data = await reader.read()  # to EOF: the server closes after the response
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, body


async def fetch(url, timeout=5.0):
    """(status, body) of GET url; TimeoutError after `timeout` seconds."""
    return await asyncio.wait_for(_get(url), timeout)


async def fetch_all(urls, timeout=5.0):
    """fetch() every URL at once; results in URL order, exceptions in their place."""
    return await asyncio.gather(*(fetch(url, timeout) for url in urls), return_exceptions=True)


if __name__ == "__main__":
    async def demo():
        server = HelloServer()
        port = await server.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for line in (b"alice\n", b"sleep 0.5\n", b"bob\n"):
            writer.write(line)
            print((await reader.readline()).decode().strip())
        writer.write_eof()  # we are done: the server answers with EOF
        assert await reader.read() == b""
        writer.close()
        await writer.wait_closed()
        await server.stop()

    asyncio.run(demo())
