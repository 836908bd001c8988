TOPIC = "fixed_port"


def test_fine(mod):
    assert mod.fine() == 1
