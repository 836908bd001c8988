import os


def fine():
    return 1


def work():
    os._exit(0)
