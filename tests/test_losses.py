"""Losses: values by hand, gradcheck through a small MLP for each, stability at +-1000."""

import math

import numpy as np

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, gradcheck_leaves
from nets import MLP, losses
from nets.activations import softmax

X = [[0.5, -1.2, 0.3], [-0.7, 0.1, 0.9], [1.1, 0.4, -0.6]]


def _check(model, loss_of_outputs):
    """gradcheck every parameter of `model` against the mean loss over X."""
    def f():
        return sum((loss_of_outputs(model(x), i) for i, x in enumerate(X)), Value(0.0)) * (1 / len(X))

    result = gradcheck_leaves(f, model.parameters())
    assert result, str(result)


@pytest.mark.parametrize(
    ("name", "targets"),
    [
        ("mse", [0.3, -0.5, 1.0]),
        ("sse", [0.3, -0.5, 1.0]),
        ("bce", [1, 0, 1]),
        ("bce_with_logits", [1, 0, 0.3]),
        ("hinge", [1, 0, 1]),
    ],
)
def test_gradcheck_single_output_losses_on_an_mlp(name, targets):
    entry = losses.LOSSES[name]
    model = MLP(3, [4, 1], activation="tanh", output_activation=entry.output_activation, seed=3)
    loss = entry.function
    _check(model, lambda out, i: loss(out, targets[i]))


def test_gradcheck_cross_entropy_and_multi_output_mse_on_an_mlp():
    model = MLP(3, [5, 4], activation="tanh", seed=4)
    _check(model, lambda out, i: losses.cross_entropy(out, [2, 0, 3][i]))
    _check(model, lambda out, i: losses.mse(out, [0.1 * i, -0.2, 0.5, 1.0]))


def test_gradcheck_l2_penalty():
    model = MLP(3, [4, 1], seed=5)
    result = gradcheck_leaves(lambda: losses.l2(model.parameters(), 0.01), model.parameters())
    assert result, str(result)
    losses.l2(model.parameters(), 0.01).backward()
    assert all(p.grad == pytest.approx(0.02 * p.data) for p in model.parameters())


def test_gradcheck_catches_a_wrong_loss_gradient():
    """The checker must be able to fail: a loss whose forward ignores part of the graph."""
    model = MLP(3, [4, 1], seed=3)

    def wrong(out, i):  # value depends on out**2, but the graph only records out
        return out * out.data

    def f():
        return sum((wrong(model(x), i) for i, x in enumerate(X)), Value(0.0))

    assert not gradcheck_leaves(f, model.parameters())


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-20, 20), min_size=2, max_size=6), st.data())
def test_cross_entropy_gradient_is_softmax_minus_one_hot(raw, data):
    target = data.draw(st.integers(0, len(raw) - 1))
    logits = [Value(z) for z in raw]
    loss = losses.cross_entropy(logits, target)
    loss.backward()
    probs = [p.data for p in softmax([Value(z) for z in raw])]
    for i, z in enumerate(logits):
        assert z.grad == pytest.approx(probs[i] - (i == target), abs=1e-12)
    m = max(raw)
    assert loss.data == pytest.approx(m + math.log(sum(math.exp(z - m) for z in raw)) - raw[target], abs=1e-9)


def test_cross_entropy_is_finite_at_plus_minus_1000():
    logits = [Value(1000.0), Value(-1000.0), Value(0.0)]
    loss = losses.cross_entropy(logits, 1)
    loss.backward()
    assert loss.data == pytest.approx(2000.0)
    assert [z.grad for z in logits] == pytest.approx([1.0, -1.0, 0.0])
    assert losses.cross_entropy([Value(1000.0), Value(-1000.0)], 0).data == 0.0


@pytest.mark.parametrize(("z", "t", "expected", "slope"), [
    (1000.0, 1, 0.0, 0.0), (1000.0, 0, 1000.0, 1.0), (-1000.0, 1, 1000.0, -1.0), (-1000.0, 0, 0.0, 0.0),
    (0.0, 1, math.log(2), -0.5),
])
def test_bce_with_logits_is_stable_and_its_gradient_is_sigmoid_minus_target(z, t, expected, slope):
    logit = Value(z)
    loss = losses.bce_with_logits(logit, t)
    loss.backward()
    assert loss.data == pytest.approx(expected, abs=1e-12)
    assert logit.grad == pytest.approx(slope, abs=1e-12)


@given(st.floats(-30, 30), st.floats(0, 1))
def test_bce_on_probabilities_matches_bce_with_logits(z, t):
    p = 1 / (1 + math.exp(-z))
    if 1e-6 < p < 1 - 1e-6:
        assert losses.binary_cross_entropy(Value(p), t).data == pytest.approx(losses.bce_with_logits(Value(z), t).data, rel=1e-5, abs=1e-9)


def test_bce_clamps_its_logs_at_minus_100_as_pytorch():
    """torch.nn.functional.binary_cross_entropy(tensor([0.]), tensor([1.])) is 100, and so on."""
    for p, t in [(0.0, 1), (1.0, 0), (1e-50, 1), (1.0 - 1e-17, 0)]:
        prob = Value(p)
        loss = losses.binary_cross_entropy(prob, t)
        assert loss.data == 100.0
        loss.backward()
        assert prob.grad == 0.0  # nothing flows back through the clamp
    assert losses.binary_cross_entropy(Value(1.0), 1).data == 0.0
    assert losses.binary_cross_entropy(Value(math.exp(-99)), 1).data == pytest.approx(99.0, rel=1e-15)
    prob = Value(0.2)
    losses.binary_cross_entropy(prob, 0.75).backward()
    assert prob.grad == pytest.approx((0.2 - 0.75) / (0.2 * 0.8), rel=1e-14)  # PyTorch's (p - t) / (p (1 - p))


def test_hinge_is_micrograds_max_margin_loss():
    assert losses.hinge(Value(2.0), 1).data == 0.0
    assert losses.hinge(Value(0.25), 1).data == 0.75
    assert losses.hinge(Value(0.25), 0).data == 1.25
    assert losses.hinge(Value(0.25), -1).data == 1.25


def test_mse_and_sse_by_hand():
    assert losses.sse([Value(1.0), Value(3.0)], [0.0, 1.0]).data == 5.0
    assert losses.mse([Value(1.0), Value(3.0)], [0.0, 1.0]).data == 2.5
    assert losses.mse(Value(2.0), 0.5).data == 2.25


@pytest.mark.parametrize(("call", "match"), [
    (lambda: losses.cross_entropy([Value(0.0), Value(1.0)], 2), "class index in 0..1, got 2"),
    (lambda: losses.hinge(Value(0.0), 2), "hinge: target must be"),
    (lambda: losses.binary_cross_entropy(Value(1.5), 1), "probability"),
    (lambda: losses.bce_with_logits(Value(0.0), 3), "in \\[0, 1\\], got 3"),
    (lambda: losses.mse([Value(0.0)], [1.0, 2.0]), "1 outputs but 2 targets"),
    (lambda: losses.get("l1"), "unknown loss 'l1'"),
    (lambda: losses.hinge([Value(0.0), Value(1.0)], 1), "hinge: needs one output .* got a list of 2"),
])
def test_bad_targets_are_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---- squared error on many classes: the classic course's 10 sigmoid outputs ----


def test_a_class_label_for_several_outputs_is_its_one_hot_row():
    outs = [Value(0.2), Value(0.7), Value(0.1)]
    for name, fn in (("mse", losses.mse), ("sse", losses.sse)):
        by_label, by_row = fn(outs, 1), fn(outs, [0.0, 1.0, 0.0])
        assert by_label.data == by_row.data == pytest.approx((0.04 + 0.09 + 0.01) / (3 if name == "mse" else 1))
    by_label = losses.mse(outs, 2)
    by_label.backward()
    assert [v.grad for v in outs] == pytest.approx([2 * 0.2 / 3, 2 * 0.7 / 3, 2 * (0.1 - 1) / 3])
    with pytest.raises(ValueError, match=r"mse: with 3 outputs, a single target must be a class index in 0..2, got 3"):
        losses.mse(outs, 3)
    with pytest.raises(ValueError, match=r"sse: with 3 outputs, a single target must be a class index in 0..2, got 0.5"):
        losses.sse(outs, 0.5)
    assert losses.mse(Value(0.3), 0.5).data == pytest.approx(0.04)  # one output: regression, as before


@pytest.mark.parametrize("compiled", [False, True])
def test_fit_with_mse_on_ten_classes_reports_argmax_accuracy(compiled):
    from nets import MLP, data, evaluate, fit, optim

    X, y = data.digits("train")
    X, y = X[:300], y[:300]
    results = []
    for targets in (y, np.eye(10)[y]):  # class labels (one-hot inside) or one-hot rows: the same training
        model = MLP(64, [16, 10], output_activation="sigmoid", seed=0)
        history = fit(model, X, targets, loss="mse", optimizer=optim.SGD(model.parameters(), lr=2.0), epochs=4,
                      batch_size=20, progress=False, seed=0, compiled=compiled)
        results.append((history["loss"], history["accuracy"], evaluate(model, X, targets, loss="mse")))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-9) and results[0][1] == results[1][1]
    accuracy = results[0][1]
    assert accuracy[-1] > max(0.3, accuracy[0]), accuracy  # not the 0.0 every epoch of one-hot rows compared with labels
    assert results[0][2][1] == results[1][2][1] > 0.3
