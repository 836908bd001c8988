def fine():
    return 1


def flood():
    """Print a gibibyte, 64 MiB at a time."""
    line = "x" * ((64 << 20) - 1)
    for _ in range(16):
        print(line)
    return 42
