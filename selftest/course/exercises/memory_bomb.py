def fine():
    return 1


def hog():
    """Ask for 64 GiB at once."""
    return "x" * (64 << 30)
