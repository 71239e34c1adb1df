"""autograd.compile and compiled fit at their entry points: hostile batches, parameters and calls."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

import autograd
import nets
from autograd import Value
from nets import MLP, optim


def _scaled(w: Value):
    return lambda x: x * w


def test_a_second_backward_that_would_overflow_a_grad_is_refused_and_changes_nothing():
    w = Value(1.0, label="w")
    tape = autograd.compile(_scaled(w), [w], np.array([1e308]))
    tape.forward(np.array([1e308]))
    tape.backward()
    assert w.grad == 1e308
    with pytest.raises(OverflowError, match="parameter 0 summed with its grad so far .* not a finite number"):
        tape.backward()  # 1e308 + 1e308: no float holds it
    assert w.grad == 1e308


def test_compile_under_no_grad_traces_the_graph():
    w = Value(3.0, label="w")
    with autograd.no_grad():
        tape = autograd.compile(lambda x: (x * w).tanh(), [w], np.array([0.1, 0.2]))
        values = tape.forward(np.array([0.1, 0.2]))
    tape.backward()
    assert values[0].tolist() == pytest.approx([math.tanh(0.3), math.tanh(0.6)], rel=1e-12)  # not constants
    assert w.grad == pytest.approx(0.1 * (1 - math.tanh(0.3) ** 2) + 0.2 * (1 - math.tanh(0.6) ** 2), rel=1e-12)


def test_a_computed_node_passed_as_a_parameter_is_refused():
    w = Value(2.0, label="w")
    twice = w * 2
    with pytest.raises(ValueError, match=r"params\[1\] .* is computed by the op '\*c', not a leaf"):
        autograd.compile(lambda x: x * twice, [w, twice], np.array([1.0]))


@pytest.mark.parametrize("batch, message", [
    (np.array([1 + 2j, 3.0]), "must hold real numbers .* complex128"),
    (np.array(["1", "2"]), "must hold real numbers .* <U1"),
    (np.array([1.0, None], dtype=object), "holds a value that is not finite: nan"),
    (np.array([1.0, 1j], dtype=object), "must be an array of real numbers"),
    ([[1.0], [1.0, 2.0]], "must be an array of real numbers"),
    (np.array([1.0, math.nan]), r"holds a value that is not finite: nan \(at \(1,\)\)"),
    (np.array([1.0, -math.inf]), r"holds a value that is not finite: -inf"),
])
def test_batches_that_are_not_finite_real_numbers_are_refused_by_compile_and_forward(batch, message):
    w = Value(1.0)
    with pytest.raises(ValueError, match="compile: batch array 0 " + message):
        autograd.compile(_scaled(w), [w], batch)
    tape = autograd.compile(_scaled(w), [w], np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="Tape: input 0 " + message):
        tape.forward(batch)


def test_int_and_bool_batches_are_numbers():
    w = Value(1.5)
    tape = autograd.compile(_scaled(w), [w], np.array([1, 2]))
    assert tape.forward(np.array([True, False])).tolist() == [[1.5, 0.0]]
    assert tape.forward([3, 4]).tolist() == [[4.5, 6.0]]


def test_empty_and_mismatched_batches_are_refused_and_one_example_works():
    w = Value(2.0)
    with pytest.raises(ValueError, match="same number of examples \\(>= 1\\)"):
        autograd.compile(lambda x, t: x * w + t, [w], np.zeros(0), np.zeros(0))
    with pytest.raises(ValueError, match="same number of examples \\(>= 1\\), got \\[2, 3\\]"):
        autograd.compile(lambda x, t: x * w + t, [w], np.zeros(2), np.zeros(3))
    tape = autograd.compile(lambda x, t: x * w + t, [w], np.ones(1), np.ones(1))
    assert tape.forward(np.ones(1), np.ones(1)).tolist() == [[3.0]]
    assert tape.backward().tolist() == [1.0]
    for bad in [(np.zeros(0), np.zeros(0)), (np.zeros(2), np.zeros(3)), (np.zeros((2, 2)), np.zeros(2))]:
        with pytest.raises(ValueError, match="must have shape"):
            tape.forward(*bad)


def test_a_batch_too_big_for_memory_is_refused_before_it_is_allocated(monkeypatch):
    w = Value(2.0)
    tape = autograd.compile(_scaled(w), [w], np.ones(1))
    monkeypatch.setattr(sys.modules["autograd.compile"], "available_memory", lambda: 10_000)
    with pytest.raises(MemoryError, match="Tape.forward: a batch of 1,000 examples needs about .* smaller batches"):
        tape.forward(np.ones(1000))


@pytest.mark.parametrize("compiled", [False, True])
def test_fit_refuses_complex_or_non_finite_data_naming_it(compiled):
    model = MLP(2, [3, 1], seed=0)
    X = np.zeros((4, 2))
    for bad, message in [(X + 1j, "fit: X must hold real numbers"), (np.where(X == 0, math.nan, X), "fit: X holds")]:
        with pytest.raises(ValueError, match=message):
            nets.fit(model, bad, np.array([0, 1, 0, 1]), loss="hinge", optimizer=optim.SGD(model.parameters(), 0.1),
                     epochs=1, progress=False, compiled=compiled)
