TOPIC = "writer"


def test_plant(mod):
    assert mod.plant() == 1
