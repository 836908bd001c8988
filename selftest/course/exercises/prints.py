import sys


def work():
    for _ in range(8):
        print("x" * 1_000_000)
        sys.stderr.write("y" * 1_000_000 + "\n")
    return 42
