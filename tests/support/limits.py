"""Resource limits for one block of a test (Linux; a no-op elsewhere).

    memory_cap(headroom)   the process may map at most `headroom` more bytes
                           while the block runs: a call that tries to allocate
                           gigabytes gets MemoryError at once
"""
from __future__ import annotations

import contextlib


@contextlib.contextmanager
def memory_cap(headroom: int = 256 * 1024 * 1024):
    """Let the process map at most `headroom` more bytes while the body runs (Linux).

    A call that tries to allocate gigabytes gets MemoryError at once instead of
    eating the machine's memory (bytearray(n) writes every byte). Only the soft
    RLIMIT_AS is lowered, and it is put back afterwards; elsewhere, no-op.
    """
    try:
        import resource

        with open("/proc/self/status") as f:
            vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, StopIteration, ValueError):
        yield
        return
    cap = vm + headroom
    if soft != resource.RLIM_INFINITY:
        cap = min(cap, soft)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
