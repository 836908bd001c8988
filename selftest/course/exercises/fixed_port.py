"""Binds a fixed port at import (the port is written in by selftest/test_hostile.py)."""
import socket

PORT = 0  # replaced with a port that is already taken

server = socket.socket()
server.bind(("127.0.0.1", PORT))
server.listen()


def fine():
    return 1
