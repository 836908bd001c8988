"""asyncio: a hello server on streams, and concurrent fetches with time-outs.

Seed: 9.25 5 协程 -- the notes' gevent example (spawn one greenlet per URL,
joinall, switch whenever one waits for I/O), in today's standard form: one
thread, one event loop, and coroutines that `await` wherever they would block.

    HelloServer      asyncio.start_server runs _serve() as a task of its own
                     for every connection, so a client that waits (even one
                     that asked the server to sleep) holds up nobody. stop()
                     closes the listening socket, cancels the connection tasks
                     still running and waits for them: nothing is left behind.
    fetch            one HTTP GET over asyncio.open_connection, bounded by
                     asyncio.wait_for; the writer is closed whatever happens
                     (time-out and cancellation included).
    fetch_all        asyncio.gather: every request in flight at once, results
                     in the order of the URLs, failures in their place.

Never block the loop: time.sleep, socket.recv or requests.get inside a
coroutine stop every other task too.
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
            writer.close()  # EOF for the client, and the transport is released
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

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


if __name__ == "__main__":  # pragma: no cover  (a demo: python solutions/async_io.py)
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
