TOPIC = "import_hang"


def test_one(mod):
    assert mod.work() == 1


def test_two(mod):
    assert mod.work() == 1
