"""BatchNorm1d: batch statistics in training, running statistics in eval, gradients through both."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nets
from autograd import Value, gradcheck_leaves, no_grad
from nets import MLP, BatchNorm1d, data, fit, optim

BATCH = [[0.5, -1.0, 3.0], [1.5, 2.0, -0.5], [-2.0, 0.25, 1.0], [0.0, 4.0, 2.5]]


def _columns(outs):
    return np.array([[v.data for v in row] for row in outs]).T


def test_training_output_has_mean_0_and_variance_1_per_feature():
    bn = BatchNorm1d(3, eps=0.0)
    for column in _columns(bn.forward_batch(BATCH)):
        assert abs(column.mean()) < 1e-9
        assert abs(column.var() - 1.0) < 1e-9


def test_eps_shrinks_the_variance_to_var_over_var_plus_eps():
    bn = BatchNorm1d(3, eps=0.5)
    for out, x in zip(_columns(bn.forward_batch(BATCH)), np.array(BATCH).T):
        assert out.var() == pytest.approx(x.var() / (x.var() + 0.5), rel=1e-12)


def test_scale_and_shift_are_applied_after_normalising():
    bn = BatchNorm1d(3, eps=0.0)
    for j, (gamma, beta) in enumerate([(2.0, 1.0), (-0.5, 3.0), (1.0, 0.0)]):
        bn.weight[j].data, bn.bias[j].data = gamma, beta
    x = np.array(BATCH)
    expected = (x - x.mean(axis=0)) / x.std(axis=0) * [2.0, -0.5, 1.0] + [1.0, 3.0, 0.0]
    assert np.allclose(_columns(bn.forward_batch(BATCH)).T, expected, atol=1e-12)


def test_running_statistics_follow_pytorchs_update_and_eval_uses_them():
    bn = BatchNorm1d(3, momentum=0.1)
    bn.forward_batch(BATCH)
    x = np.array(BATCH)
    mean, var = 0.1 * x.mean(axis=0), 0.9 + 0.1 * x.var(axis=0, ddof=1)  # unbiased, as PyTorch
    assert [v.data for v in bn.running_mean] == pytest.approx(mean, rel=1e-12)
    assert [v.data for v in bn.running_var] == pytest.approx(var, rel=1e-12)
    bn.weight[0].data, bn.bias[0].data = 1.5, -0.25
    bn.eval()
    row = [2.0, -1.0, 0.5]
    out = [v.data for v in bn(row)]
    assert out == pytest.approx((np.array(row) - mean) / np.sqrt(var + 1e-5) * [1.5, 1, 1] + [-0.25, 0, 0], rel=1e-12)
    assert [r[0].data for r in bn.forward_batch([row, row])] == pytest.approx([out[0]] * 2, rel=1e-15)


def test_gradcheck_through_a_batch_of_4_inputs_and_parameters():
    bn = BatchNorm1d(3)
    for j, p in enumerate(bn.parameters()):
        p.data += 0.3 * j - 0.7  # away from gamma = 1, beta = 0
    inputs = [[Value(x) for x in row] for row in BATCH]
    leaves = [v for row in inputs for v in row] + bn.parameters()
    coefficients = [0.3, -1.2, 0.7]

    def f():
        bn.running_mean[0].data = 0.0  # each call updates the running statistics: harmless here
        return sum(c * v.tanh() for row in bn.forward_batch(inputs) for c, v in zip(coefficients, row))

    result = gradcheck_leaves(f, leaves)
    assert result, str(result)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.floats(-5, 5), min_size=2, max_size=2), min_size=2, max_size=5),
       st.lists(st.floats(-2, 2), min_size=2, max_size=2))
def test_gradients_flow_through_the_batch_mean_and_variance(rows, weights):
    """Each example's output depends on every example of the batch: finite differences agree."""
    rows = [[a, b + 3 * i] for i, (a, b) in enumerate(rows)]  # feature 2 never constant
    if np.var([r[0] for r in rows]) < 1e-2:
        rows[0][0] += 1.0
    inputs = [[Value(x) for x in row] for row in rows]
    bn = BatchNorm1d(2, eps=1e-3)
    f = lambda: sum((i + 1) * w * v * v for i, row in enumerate(bn.forward_batch(inputs))  # noqa: E731
                    for w, v in zip(weights, row))
    result = gradcheck_leaves(f, [v for row in inputs for v in row])
    assert result, str(result)


def test_a_single_example_in_training_is_a_clear_error():
    bn = BatchNorm1d(2)
    with pytest.raises(ValueError, match="batch of 1 example"):
        bn.forward_batch([[1.0, 2.0]])
    with pytest.raises(ValueError, match="eval"):
        bn([1.0, 2.0])
    with pytest.raises(ValueError, match="expected 2 features, got 3"):
        bn.eval()([1.0, 2.0, 3.0])


@pytest.mark.parametrize("kwargs, match", [
    ({"num_features": 0}, "num_features must be a positive integer"),
    ({"num_features": 2, "momentum": 1.5}, "momentum must be in"),
    ({"num_features": 2, "eps": -1.0}, "eps must be a non-negative number"),
])
def test_bad_arguments_are_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BatchNorm1d(**kwargs)


def test_an_mlp_with_batch_norm_normalises_each_hidden_layer_and_trains():
    model = MLP(2, [8, 8, 1], activation="relu", batch_norm=True, seed=0)
    assert [type(m).__name__ for _, m in model.children()].count("BatchNorm1d") == 2
    assert model.num_parameters() == MLP(2, [8, 8, 1], seed=0).num_parameters() + 2 * (8 + 8)
    X, y = data.moons(n=60, noise=0.1, seed=0)
    sgd = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = nets.fit(model, X, y, loss="bce_with_logits", optimizer=sgd, epochs=15, batch_size=10, progress=False, seed=0)
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert nets.evaluate(model, X, y, loss="bce_with_logits")[1] >= 0.9


def test_an_mlp_batch_forward_in_eval_equals_the_per_example_forward():
    model = MLP(2, [4, 3], activation="tanh", batch_norm=True, seed=1)
    model.forward_batch([[0.0, 1.0], [2.0, -1.0], [1.0, 1.0]])  # moves the running statistics
    model.eval()
    X = [[0.5, 0.5], [-1.0, 2.0]]
    with no_grad():
        assert [[v.data for v in out] for out in model.forward_batch(X)] == [[v.data for v in model(x)] for x in X]


def test_save_and_load_keep_the_running_statistics(tmp_path):
    model = MLP(3, [4, 2], batch_norm=True, seed=0)
    model.forward_batch(BATCH)
    saved = model.state_dict()
    assert saved["norms.0.running_var.2"] != 1.0
    model.save(tmp_path / "bn.json")
    loaded = nets.load(tmp_path / "bn.json")
    assert loaded.state_dict() == saved and loaded.config()["batch_norm"] is True
    with no_grad():
        assert [v.data for v in loaded([1.0, 2.0, 3.0])] == [v.data for v in model.eval()([1.0, 2.0, 3.0])]


def test_a_negative_running_variance_is_refused_with_its_value():
    bn = BatchNorm1d(2).eval()
    with pytest.raises(ValueError, match=r"running_var.1 must be a variance, >= 0, got -3.0"):
        bn.load_state_dict({**bn.state_dict(), "running_var.1": -3.0})
    bn.running_var[1].data = -3.0  # set by hand
    with pytest.raises(ValueError, match=r"running_var \+ eps must be positive.*-3.0"):
        bn([0.0, 1.0])


def test_load_refuses_an_absurd_number_of_features_before_building(tmp_path):
    import json

    BatchNorm1d(2).save(tmp_path / "bn.json")
    document = json.loads((tmp_path / "bn.json").read_text())
    document["config"]["num_features"] = 10**9
    (tmp_path / "bn.json").write_text(json.dumps(document))
    with pytest.raises(ValueError, match="a layer size of 1000000000 is too large"):
        nets.load(tmp_path / "bn.json")
