TOPIC = "needs_extra"


def test_works(mod):
    assert mod.work() == 1
