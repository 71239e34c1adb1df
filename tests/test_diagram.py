"""nets.diagram.draw_network: the circles-and-arrows picture of an MLP's architecture."""

import pytest

from nets import MLP
from nets.diagram import draw_network


def test_every_unit_and_connection_of_a_small_network():
    source = draw_network(MLP(2, [4, 1], seed=0)).source
    units = [f"l{i}u{k}" for i, n in enumerate([2, 4, 1]) for k in range(n)]
    for unit in units:
        assert f"\t{unit} [" in source
    assert source.count(" -> ") - source.count("caption ->") == 2 * 4 + 4 * 1
    assert "hidden 1\n4 tanh units\n12 parameters" in source
    assert "output\n1 linear unit\n5 parameters" in source  # one unit, not "1 units"


def test_captions_count_the_classic_digit_network():
    source = draw_network(MLP(784, [16, 16, 10])).source
    counts = ["12,560 parameters", "272 parameters", "170 parameters"]
    assert all(count in source for count in counts)  # 12,560 + 272 + 170 = 13,002
    assert "777 more" in source and "9 more" in source and "3 more" in source
    assert "l0u783" in source and "l0u500" not in source


def test_same_network_same_source_and_sizes_accepted():
    assert draw_network(MLP(3, [5, 2], seed=1)).source == draw_network(MLP(3, [5, 2], seed=2)).source
    assert "hidden 1\n5 units" in draw_network([3, 5, 2]).source


@pytest.mark.parametrize("bad", [[3], [], [2, 0, 1], [2, True], "22"])
def test_bad_sizes_are_refused(bad):
    with pytest.raises(ValueError, match="draw_network"):
        draw_network(bad)


def test_max_units_must_leave_room_for_the_placeholder():
    with pytest.raises(ValueError, match="max_units"):
        draw_network([2, 3], max_units=2)


def test_renders_with_dot():
    svg = draw_network(MLP(2, [3, 1])).pipe(format="svg").decode()
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg
