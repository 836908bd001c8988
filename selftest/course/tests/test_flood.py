TOPIC = "flood"


def test_flood(mod):
    assert mod.flood() == 42, "flood() should return 42"


def test_after(mod):
    assert mod.fine() == 1
