TOPIC = "escape"


def test_escapes(mod):
    assert mod.work() == 1
