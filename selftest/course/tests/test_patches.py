import socket

TOPIC = "patches"


def test_fine(mod):
    assert mod.fine() == 1


def test_socket(mod):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
