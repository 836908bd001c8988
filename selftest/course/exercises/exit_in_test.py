import os


def fine():
    return 1


def work():
    os._exit(0)


def leave():
    import sys

    sys.exit(0)
