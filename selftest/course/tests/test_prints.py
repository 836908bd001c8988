TOPIC = "prints"


def test_prints(mod):
    assert mod.work() == 42, "work() should return 42"


def test_fails_after_printing(mod):
    mod.work()
    assert False, "a failing test whose output is megabytes"
