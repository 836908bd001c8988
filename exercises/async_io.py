"""Exercise: asyncio -- a hello server on streams, and concurrent fetches.

Seed: 9.25 5 协程. The notes fetch three URLs with gevent: monkey.patch_all(),
one greenlet per URL (gevent.spawn), gevent.joinall -- "遇到IO阻塞时会自动切换
任务". asyncio is the standard library's form of the same idea: ONE thread
runs an event loop, and many coroutines take turns in it. A coroutine gives
the loop its turn back wherever it writes `await`; nothing switches by itself.

    async def f(): ...      calling f() only CREATES a coroutine object: nothing
                            runs until it is awaited (or wrapped in a task)
    await x                 wait for x; meanwhile the loop runs other tasks
    asyncio.gather(*aws)    run them all at once; results in the order given;
                            return_exceptions=True puts failures in their place
    asyncio.wait_for(aw, t) TimeoutError if aw takes longer than t seconds
    task.cancel()           raises CancelledError inside the task at its await

The one rule: never block. time.sleep(), a blocking socket call or a long
loop inside a coroutine stops EVERY task (进行阻塞操作会阻塞掉整个程序).
Use `await asyncio.sleep(...)`, asyncio's streams, etc.

Part 1 -- HelloServer, a line server on asyncio streams
(asyncio.start_server(handler, host, port) calls handler(reader, writer) in a
new task for every connection). Lines are UTF-8 and end with "\\n":

    client sends            server answers
    NAME                    hello NAME
    sleep SECONDS           (waits SECONDS, e.g. "sleep 2" or "sleep 0.5", then)
                            slept SECONDS        -- the other clients are served
                                                    meanwhile
    (closes its side: EOF)  the server closes the connection

Part 2 -- fetching over HTTP with asyncio streams: fetch() one URL,
fetch_all() many at the same time, each with its own time-out.

The tests run your coroutines with asyncio.run(..., debug=True) and fail on
blocking calls, exceptions nobody looked at, coroutines never awaited,
connections never closed, and tasks still running at the end.

Run the tests:   python -m grader async_io
"""
from __future__ import annotations

import asyncio  # noqa: F401
import contextlib  # noqa: F401
from urllib.parse import urlsplit  # noqa: F401


class HelloServer:
    """The hello server of the module docstring.

        server = HelloServer()          # 127.0.0.1, port 0: the system picks a port
        port = await server.start()     # listening now; returns the real port
        ...
        await server.stop()             # everything closed, nothing left running
    """

    def __init__(self, host="127.0.0.1", port=0):
        # GIVEN
        self.host = host
        self.port = port
        # TODO: what else must the server remember? (stop() has to find every
        # connection task that is still running.)

    async def start(self):
        """Start listening (asyncio.start_server) and return the port (an int).

        Read the port back from the server: self._server.sockets[0].getsockname()[1].
        Return at once; the loop serves the clients from now on.
        """
        # TODO
        raise NotImplementedError("HelloServer.start")

    async def _serve(self, reader, writer):
        """One connection, in its own task: answer line by line until EOF.

        reader.readline() returns b"" at EOF. Answer with writer.write(...)
        and `await writer.drain()`. For "sleep S": `await asyncio.sleep(float(S))`
        (NEVER time.sleep). Whatever happens (EOF, a reset connection,
        cancellation by stop()), close the writer in a `finally:`:
        writer.close(); await writer.wait_closed().
        """
        # TODO
        raise NotImplementedError("HelloServer._serve")

    async def stop(self):
        """Stop listening, end every connection, and return when all are done.

        Close the server (no new connections), cancel() every connection task
        still running (one may be inside asyncio.sleep: cancelling is the only
        way to end it now), await them all (asyncio.gather(...,
        return_exceptions=True)), then `await server.wait_closed()`.
        """
        # TODO
        raise NotImplementedError("HelloServer.stop")


async def fetch(url, timeout=5.0):
    """GET `url` (http://HOST:PORT/PATH) and return (status, body).

        await fetch("http://127.0.0.1:8080/")  ->  (200, b"<html>...")

    Open the connection with asyncio.open_connection(host, port), send

        GET /PATH HTTP/1.0\\r\\nHost: HOST:PORT\\r\\nConnection: close\\r\\n\\r\\n

    and read until EOF (the server closes after its answer; it may arrive in
    small pieces). status is the int in the first line ("HTTP/1.1 200 OK");
    body is everything after the first empty line (b"\\r\\n\\r\\n"). An error
    status (404...) is still a result: (404, body).

    The whole request is bounded: after `timeout` seconds raise TimeoutError
    (asyncio.wait_for). Close the writer in every case -- success, error,
    time-out, cancellation (try/finally).
    """
    # TODO
    raise NotImplementedError("fetch")


async def fetch_all(urls, timeout=5.0):
    """fetch() every URL AT THE SAME TIME; return the results in the order of `urls`.

    A request that fails puts its exception in its place instead of a
    result (TimeoutError, ConnectionRefusedError...), and the others go on:
    asyncio.gather(..., return_exceptions=True). If fetch_all() itself is
    cancelled, every request is cancelled and its connection closed.

        await fetch_all([url_a, url_slow], timeout=1)  ->  [(200, b"a"), TimeoutError()]
    """
    # TODO
    raise NotImplementedError("fetch_all")
