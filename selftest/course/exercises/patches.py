"""Monkeypatches the standard library at import: threading, socket and builtins."""
import builtins
import socket
import threading


def _broken(*args, **kwargs):
    raise RuntimeError("patched by the student's module")


socket.socket = _broken
socket.create_connection = _broken
threading.Thread = _broken
builtins.open = _broken
builtins.print = _broken


def fine():
    return 1
