import time


def fine():
    return 1


def work():
    while True:
        try:
            time.sleep(60)
        except:  # noqa: E722 - the bug under test
            pass
