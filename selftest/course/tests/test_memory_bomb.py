TOPIC = "memory_bomb"


def test_hog(mod):
    assert len(mod.hog()) > 0, "hog() should return its string"


def test_after(mod):
    assert mod.fine() == 1
