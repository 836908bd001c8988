def work():
    while True:
        pass
