"""A multi-client chat room: a server that relays lines, and a client for it.

Seed: 9.19 1 socket，可聊天应用. The notes' server talks to one client at a
time and answers with input(); this one relays every line to everyone else.

Server design (one room, guarded by one lock):

    accept thread     accept() in a loop; each connection gets a reader thread
    reader thread     reads the nick, then one line at a time (makefile().readline():
                      a line is a line however TCP cut it); queues the relayed
                      line for every *other* member; on EOF or an error: leave
    writer thread     one per member: takes lines from that member's queue and
                      sendall()s them. Only this thread ever blocks on that
                      member's socket, so a member that never reads stalls its
                      own writer and nobody else.
    bounded queues    a member's queue holds at most MAX_PENDING lines; when it is
                      full the member is not reading at all: it is disconnected
                      (put_nowait() never blocks the broadcasting thread)

The client keeps its own byte buffer, so a line cut by TCP or by a
receive() timeout is kept until its newline arrives.
"""
from __future__ import annotations

import queue
import socket
import threading

ENCODING = "utf-8"
MAX_PENDING = 64

WELCOME = "* welcome {nick}"
JOINED = "* {nick} joined"
LEFT = "* {nick} left"
MESSAGE = "{nick}: {text}"
ONLINE = "* online: {nicks}"
WHO = "/who"


class _Member:
    """One connected client: its socket, nick and outgoing queue."""

    def __init__(self, conn: socket.socket, nick: str):
        self.conn = conn
        self.nick = nick
        self.outbox: queue.Queue = queue.Queue(maxsize=MAX_PENDING)
        self.gone = False  # set once, under the room's lock, by _leave()


class ChatServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.port = port
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._lock = threading.Lock()  # guards everything below
        self._stopping = False
        self._members: list[_Member] = []          # in the room, in joining order
        self._conns: set[socket.socket] = set()    # every open connection
        self._threads: list[threading.Thread] = []  # reader threads

    # --- lifecycle -------------------------------------------------------

    def start(self) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind((self.host, self.port))
            listener.listen(64)
        except OSError:
            listener.close()
            raise
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"chat-accept-{self.port}", daemon=True)
        self._accept_thread.start()
        return self.port

    def stop(self) -> None:
        if self._accept_thread is None:
            return
        with self._lock:
            self._stopping = True
        try:  # close() does not wake accept() on Linux: connect once ourselves
            socket.create_connection(self._listener.getsockname(), timeout=5).close()
        except OSError:
            pass
        self._accept_thread.join()
        self._listener.close()
        with self._lock:
            conns, threads = list(self._conns), list(self._threads)
        for conn in conns:  # wakes readers (EOF) and writers (EPIPE)
            _shutdown(conn)
        for t in threads:
            t.join()
        self._accept_thread = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    # --- the room --------------------------------------------------------

    def _broadcast(self, line: str, exclude: _Member | None = None) -> None:
        """Queue `line` for every member except `exclude`; never blocks."""
        with self._lock:
            targets = [m for m in self._members if m is not exclude]
        full = []
        for m in targets:
            try:
                m.outbox.put_nowait(line)
            except queue.Full:  # MAX_PENDING lines waiting: it is not reading
                full.append(m)
        for m in full:
            self._leave(m)

    def _leave(self, member: _Member) -> None:
        """Take `member` out of the room (once) and tell the others."""
        with self._lock:
            if member.gone:
                return
            member.gone = True
            self._members.remove(member)
        _shutdown(member.conn)  # wakes its reader and a writer stuck in sendall()
        try:
            member.outbox.put_nowait(None)  # wakes a writer waiting in get()
        except queue.Full:
            pass  # the writer is not waiting in get(); it will see .gone
        self._broadcast(LEFT.format(nick=member.nick))

    # --- threads ---------------------------------------------------------

    def _accept_loop(self) -> None:
        while True:
            try:
                conn, addr = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self._stopping:
                    conn.close()
                    return
                self._conns.add(conn)
                t = threading.Thread(target=self._serve, args=(conn,),
                                     name=f"chat-{addr[0]}:{addr[1]}", daemon=True)
                self._threads = [old for old in self._threads if old.is_alive()]
                self._threads.append(t)
            t.start()

    def _serve(self, conn: socket.socket) -> None:
        member = None
        writer = None
        try:
            with conn.makefile("rb") as rfile:
                raw = rfile.readline()
                if not raw.endswith(b"\n"):
                    return  # gone before it finished its nick
                nick = raw.decode(ENCODING, "replace").rstrip("\r\n")
                member = _Member(conn, nick)
                member.outbox.put_nowait(WELCOME.format(nick=nick))  # always its first line
                with self._lock:
                    others = list(self._members)
                    self._members.append(member)
                for other in others:
                    self._queue(other, JOINED.format(nick=nick))
                # Only now can the welcome leave: a client holding its welcome is
                # in the room, and everyone who was there has been told.
                writer = threading.Thread(target=self._write, args=(member,),
                                          name=f"chat-writer-{nick}", daemon=True)
                writer.start()
                for raw in rfile:
                    if not raw.endswith(b"\n") or member.gone:
                        break  # closed in the middle of a line, or dropped
                    text = raw.decode(ENCODING, "replace").rstrip("\r\n")
                    if text == WHO:
                        with self._lock:
                            nicks = sorted(m.nick for m in self._members)
                        self._queue(member, ONLINE.format(nicks=", ".join(nicks)))
                    elif text:
                        self._broadcast(MESSAGE.format(nick=nick, text=text), exclude=member)
        except OSError:
            pass  # reset, or stop() shut us down: the member just leaves
        finally:
            if member is not None:
                self._leave(member)
            if writer is not None:
                writer.join()
            with self._lock:
                self._conns.discard(conn)
            conn.close()

    def _queue(self, member: _Member, line: str) -> None:
        try:
            member.outbox.put_nowait(line)
        except queue.Full:
            self._leave(member)

    def _write(self, member: _Member) -> None:
        """The only thread that sends to this member."""
        try:
            while True:
                line = member.outbox.get()
                if line is None or member.gone:
                    return
                member.conn.sendall((line + "\n").encode(ENCODING))
        except OSError:
            self._leave(member)  # its reader sees EOF and cleans up


def _shutdown(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class ChatClient:
    def __init__(self, port: int, nick: str, host: str = "127.0.0.1", timeout: float = 5.0):
        self.nick = nick
        self.timeout = timeout
        self._buffer = bytearray()  # bytes received but not yet returned as a line
        self._sock = socket.create_connection((host, port), timeout=timeout)
        try:
            self.send(nick)
            first = self.receive()
            if first != WELCOME.format(nick=nick):
                raise ConnectionError(f"expected the welcome for {nick!r}, got {first!r}")
        except BaseException:
            self._sock.close()
            raise

    def send(self, text: str) -> None:
        if "\n" in text or "\r" in text:
            raise ValueError("one message is one line: no '\\n' or '\\r' inside")
        self._sock.sendall((text + "\n").encode(ENCODING))

    def receive(self, timeout: float | None = None) -> str | None:
        self._sock.settimeout(self.timeout if timeout is None else timeout)
        while b"\n" not in self._buffer:
            chunk = self._sock.recv(4096)  # TimeoutError leaves the buffer intact
            if not chunk:
                return None  # closed (a partial last line is dropped)
            self._buffer += chunk
        line, _, rest = self._buffer.partition(b"\n")
        self._buffer = bytearray(rest)
        return line.decode(ENCODING).rstrip("\r")

    def close(self) -> None:
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


if __name__ == "__main__":  # pragma: no cover  (a demo: python solutions/chat_room.py)
    with ChatServer() as server:
        print(f"chat room on 127.0.0.1:{server.port}")
        with ChatClient(server.port, "alice") as alice, ChatClient(server.port, "bob") as bob:
            print("alice got:", alice.receive())  # * bob joined
            alice.send("hi bob")
            print("bob got:  ", bob.receive())    # alice: hi bob
            bob.send(WHO)
            print("bob got:  ", bob.receive())    # * online: alice, bob
