import time

time.sleep(10**6)  # a "server loop" at module level


def work():
    return 1
