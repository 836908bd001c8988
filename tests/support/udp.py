"""A seeded lossy, duplicating UDP relay on loopback.

    with LossyRelay(server_addr, loss=0.3, dup=0.1, seed=7) as relay:
        client talks to relay.addr instead of server_addr

Every datagram from a client is forwarded to the server, or dropped (with
probability `loss`), or forwarded twice (probability `dup`); replies from the
server go back to the client that the relay forwarded for, with the same
treatment. The random choices come from one seeded RNG, so a run is
repeatable in what is dropped (not in timing). `stats` counts what happened.

A stop-and-wait client with a timeout and request ids gets through 30% loss
and 10% duplicates; a client without retries, or one that takes a stale
duplicate for the answer to its next request, does not.
"""
from __future__ import annotations

import random
import selectors
import socket
import threading

HOST = "127.0.0.1"


class LossyRelay:
    def __init__(self, server_addr, loss: float = 0.0, dup: float = 0.0, seed: int = 0,
                 reply_loss: float | None = None):
        self.server_addr = tuple(server_addr)
        self.loss = loss
        self.reply_loss = loss if reply_loss is None else reply_loss
        self.dup = dup
        self.rng = random.Random(seed)
        self.stats = {"forwarded": 0, "dropped": 0, "duplicated": 0}
        # one socket faces the clients; one upstream socket per client faces the server
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind((HOST, 0))
        self.addr = self.front.getsockname()
        self._upstream: dict[tuple, socket.socket] = {}  # client addr -> socket to server
        self._client_of: dict[socket.socket, tuple] = {}
        self._sel = selectors.DefaultSelector()
        self._sel.register(self.front, selectors.EVENT_READ)
        self._wake_r, self._wake_w = socket.socketpair()
        self._sel.register(self._wake_r, selectors.EVENT_READ)
        self._thread = threading.Thread(target=self._run, name="lossy-relay", daemon=True)

    def _send(self, sock, data, addr, loss):
        roll = self.rng.random()
        if roll < loss:
            self.stats["dropped"] += 1
            return
        copies = 2 if self.rng.random() < self.dup else 1
        if copies == 2:
            self.stats["duplicated"] += 1
        for _ in range(copies):
            try:
                sock.sendto(data, addr)
                self.stats["forwarded"] += 1
            except OSError:
                pass

    def _run(self):
        while True:
            for key, _ in self._sel.select():
                sock = key.fileobj
                if sock is self._wake_r:
                    return
                try:
                    data, addr = sock.recvfrom(65535)
                except OSError:
                    continue
                if sock is self.front:
                    up = self._upstream.get(addr)
                    if up is None:
                        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                        up.bind((HOST, 0))
                        self._upstream[addr] = up
                        self._client_of[up] = addr
                        self._sel.register(up, selectors.EVENT_READ)
                    self._send(up, data, self.server_addr, self.loss)
                else:
                    self._send(self.front, data, self._client_of[sock], self.reply_loss)

    def start(self) -> "LossyRelay":
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread.is_alive():
            self._wake_w.send(b"x")
            self._thread.join(5)
        for sock in [self.front, self._wake_r, self._wake_w, *self._upstream.values()]:
            sock.close()
        self._sel.close()

    def __enter__(self) -> "LossyRelay":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
