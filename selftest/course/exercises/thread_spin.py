import threading


def spin():
    while True:
        pass


def work():
    t = threading.Thread(target=spin, daemon=True)
    t.start()
    t.join()
