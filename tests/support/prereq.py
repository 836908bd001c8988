"""Topics that build on another topic's module (remote_exec and file_upload use framing).

    check_framing(mod, topic)   if the student's module uses send_msg/recv_msg from
                                their own framing.py, check once per run that those
                                work, and fail with "finish framing first" if not,
                                instead of blaming this topic (or timing out)
"""
from __future__ import annotations

import sys

import pytest

from support import net


_framing_verdicts: dict = {}  # id(framing module) -> None or a complaint, once per run


def check_framing(mod, topic: str) -> None:
    """If the student's module uses framing.send_msg/recv_msg, make sure they work.

    Checked once per run (a broken framing.py would otherwise cost every test a
    timeout), with a short bound: the two messages are sent before they are read."""
    module = getattr(mod, "_module", None)
    funcs = [getattr(module, n, None) for n in ("send_msg", "recv_msg")]
    if not all(getattr(f, "__module__", None) == "framing" for f in funcs):
        return  # the module brings its own framing
    framing = sys.modules["framing"]
    if id(framing) not in _framing_verdicts:
        _framing_verdicts[id(framing)] = framing_problem(framing, topic)
    if _framing_verdicts[id(framing)]:
        raise pytest.fail.Exception(_framing_verdicts[id(framing)], pytrace=False) from None


def framing_problem(framing, topic: str) -> str | None:
    with net.tcp_pair(timeout=2.0) as (a, b):
        try:
            framing.send_msg(a, b"ping")
            framing.send_msg(a, b"")
            got = [framing.recv_msg(b), framing.recv_msg(b)]
        except NotImplementedError as exc:
            return (f"{topic}.py sends and receives with send_msg()/recv_msg() from your "
                    f"framing.py, and they still raise NotImplementedError ({exc}). Finish the "
                    "framing topic first: python -m grader framing (9.20 1 粘包).")
        except Exception as exc:
            return (f"{topic}.py uses your framing.py, whose send_msg()/recv_msg() raised "
                    f"{type(exc).__name__}({exc}) on two plain messages b'ping' and b'' sent "
                    "back to back. Fix the framing topic first: python -m grader framing.")
    if got != [b"ping", b""]:
        return (f"{topic}.py uses your framing.py: send_msg(b'ping'), send_msg(b'') came out "
                f"of recv_msg() as {got!r}, expected [b'ping', b'']. Fix the framing topic "
                "first: python -m grader framing.")
    return None
