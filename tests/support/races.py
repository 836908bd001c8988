"""Race amplification: make unlucky thread switches happen on purpose.

Since CPython 3.10 threads switch only at calls and loop back-edges, so a
read-modify-write race like ``temp = num; num = temp - 1`` (9.23 1) almost
never shows, whatever ``sys.setswitchinterval`` says. Inside ``amplified()``
every new thread runs with a trace function that, on each bytecode of the
student's files, gives the GIL away (``time.sleep(0)``) with probability
`p`. That splits ``balance = balance + amount`` between its read and its
write often enough that a missing lock is caught in every run, while code
that holds the right lock is never affected: a switch inside a critical
section only makes other threads wait.

Tracing replaces coverage's tracer in those threads; nothing else changes.
"""
from __future__ import annotations

import contextlib
import random
import sys
import threading
import time

from grader import target


@contextlib.contextmanager
def amplified(p: float = 0.05, seed: int = 1):
    rng = random.Random(seed)
    chance = rng.random  # shared; an occasional torn draw is harmless
    sleep = time.sleep
    student = {}

    def is_student(code) -> bool:
        known = student.get(code.co_filename)
        if known is None:
            known = student[code.co_filename] = target.is_student_file(code.co_filename)
        return known

    def local(frame, event, arg):
        if event == "opcode" and chance() < p:
            sleep(0)
        return local

    def tracer(frame, event, arg):
        if event == "call" and is_student(frame.f_code):
            frame.f_trace_opcodes = True
            return local
        return None

    old_threading = threading.gettrace() if hasattr(threading, "gettrace") else None
    old_sys = sys.gettrace()
    threading.settrace(tracer)
    sys.settrace(tracer)
    try:
        yield
    finally:
        threading.settrace(old_threading)
        sys.settrace(old_sys)
