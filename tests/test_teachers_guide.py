"""Every row of the teacher's guide's errata table is a fact measured here on the engine."""

from __future__ import annotations

import random
import re
from pathlib import Path

import nets
from autograd import Value
from nets.optim import grad_norm

GUIDE = Path(__file__).resolve().parent.parent / "notebooks" / "TEACHERS_GUIDE.md"


def test_e1_784_16_16_10_has_13002_parameters():
    assert nets.MLP(784, [16, 16, 10], seed=0).num_parameters() == 13_002 == 784 * 16 + 16 * 16 + 16 * 10 + 42


def test_e2_the_2_4_1_network_has_17_gradients():
    model = nets.MLP(2, [4, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    ((model([1.0, 0.5]) - 1.0) ** 2).backward()
    assert len(model.parameters()) == 17 and all(p.grad != 0 for p in model.parameters())


def test_e3_xavier_does_not_cure_sigmoids_vanishing_gradient():
    for seed in range(3):
        model = nets.MLP(16, [16] * 8 + [1], activation="sigmoid", init="xavier_uniform", seed=seed)
        x = [random.Random(seed).gauss(0, 1) for _ in range(16)]
        ((model(x) - 1.0) ** 2).backward()
        first, last_hidden = grad_norm(model.layers[0].parameters()), grad_norm(model.layers[-2].parameters())
        assert first < last_hidden / 1000, (seed, first, last_hidden)


def test_e4_sigmoids_slope_is_at_most_a_quarter():
    slopes = []
    for i in range(-2000, 2001):
        x = Value(i / 200)
        x.sigmoid().backward()
        slopes.append(x.grad)
    assert max(slopes) == 0.25 and slopes[2000] == 0.25  # at x = 0, and nowhere more


def test_e5_2x2_max_pooling_takes_each_2x2_window_once():
    grid = [[Value(float(4 * i + j)) for j in range(4)] for i in range(4)]
    pooled = nets.MaxPool2d(2)([grid])[0]
    assert [[v.data for v in row] for row in pooled] == [[5.0, 7.0], [13.0, 15.0]]


def test_e6_max_poolings_gradient_goes_to_the_maximum_only():
    grid = [[Value(v) for v in row] for row in [[1.0, 3.0], [2.0, 0.5]]]
    nets.MaxPool2d(2)([grid])[0][0][0].backward()
    assert [[v.grad for v in row] for row in grid] == [[0.0, 1.0], [0.0, 0.0]]


def test_e7_a_shared_weight_gets_the_sum_of_every_steps_gradient():
    w, xs = Value(0.5), [1.0, -0.5, 0.25]
    h = Value(0.0)
    uses = []
    for x in xs:
        wt = w * 1.0  # a copy node per step, so each step's share can be read
        uses.append(wt)
        h = (wt * h + x).tanh()
    h.backward()
    assert abs(w.grad - sum(u.grad for u in uses)) < 1e-15 and abs(uses[-1].grad - w.grad) > 0.1


def test_e8_batch_norm_momentum_weighs_the_new_batch():
    bn = nets.BatchNorm1d(1)
    bn.forward_batch([[1.0], [2.0], [3.0]])
    assert abs(bn.running_mean[0].data - 0.2) < 1e-12


def test_every_erratum_in_the_guide_is_tested_here():
    rows = re.findall(r"^\| (E\d+) \|", GUIDE.read_text(), re.M)
    tested = sorted(name.split("_")[1].upper() for name in globals() if re.match(r"test_e\d+_", name))
    assert sorted(rows) == tested and rows, (rows, tested)


def test_every_section_the_guide_names_is_a_heading_of_its_notebook():
    """`4: "Counting parameters"` must stay true when a notebook's sections are renamed."""
    import nbformat

    notebooks = {int(p.name[:2]): p for p in GUIDE.parent.glob("[0-9][0-9]_*.ipynb")}
    named = [(int(n), title) for n, titles in re.findall(r"\b(\d{1,2}): ((?:\"[^\"]+\"(?:, )?)+)", GUIDE.read_text())
             for title in re.findall(r"\"([^\"]+)\"", titles)]
    assert len(named) > 15
    for number, title in named:
        cells = nbformat.read(notebooks[number], as_version=4).cells
        headings = [line.lstrip("#").strip() for cell in cells if cell.cell_type == "markdown"
                    for line in cell.source.splitlines() if line.startswith("#")]
        assert any(h.startswith(title) for h in headings), f"notebook {number} has no section {title!r}: {headings}"
