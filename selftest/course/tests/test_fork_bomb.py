TOPIC = "fork_bomb"


def test_bomb(mod):
    mod.bomb()


def test_after(mod):
    assert mod.fine() == 1
