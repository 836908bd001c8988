TOPIC = "os_exit_at_import"


def test_fine(mod):
    assert mod.fine() == 1


def test_fine_again(mod):
    assert mod.fine() == 1
