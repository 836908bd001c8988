TOPIC = "exit_in_test"


def test_before(mod):
    assert mod.fine() == 1


def test_exits(mod):
    mod.work()


def test_after(mod):
    assert mod.fine() == 1


def test_sys_exit(mod):
    mod.leave()
