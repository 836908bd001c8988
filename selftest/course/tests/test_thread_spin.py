TOPIC = "thread_spin"


def test_spins(mod):
    mod.work()


def test_after(mod):
    assert mod.work
