"""Recurrent networks: BPTT against finite differences and a hand-unrolled graph, truncation,
sequence data, fit/evaluate/predict/save/load with sequence models, drawings and steps."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nets
from autograd import Value, backward_steps, draw_graph, gradcheck_leaves
from autograd.draw import graph_nodes
from nets import RNN, RNNCell, RNNModel, Steps
from nets.outputs import per_step
from nets.recurrent import hidden_grad_norms

SEQUENCE = [[0.5, -1.0], [0.3, 0.8], [-1.2, 0.1], [0.9, 0.4], [-0.2, -0.7], [1.1, 0.6]]  # 6 steps, 2 inputs


def _loss(states):
    """A loss that reads every hidden state, with different weights, so each step matters."""
    return autograd.sum(v * (0.3 * t + 0.1 * j) for t, h in enumerate(states, 1) for j, v in enumerate(h, 1))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "linear"])
def test_gradcheck_every_parameter_over_six_steps(activation):
    rnn = RNN(2, 3, activation=activation, seed=0)
    result = gradcheck_leaves(lambda: _loss(rnn(SEQUENCE)), rnn.parameters())
    assert result, str(result)
    assert len(result.rows) == rnn.num_parameters() == (2 + 3 + 1) * 3


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.floats(-2, 2), min_size=1, max_size=1), min_size=1, max_size=6), st.integers(0, 1000))
def test_gradcheck_holds_for_any_sequence_and_seed(xs, seed):
    model = RNNModel(1, 2, seed=seed, return_sequences=True)
    result = gradcheck_leaves(lambda: autograd.sum(model(xs)), model.parameters())
    assert result, str(result)


def test_truncated_gradients_are_not_the_true_gradient():
    """Truncation is an approximation on purpose: finite differences see every step."""
    rnn = RNN(2, 3, seed=0, truncate=2)
    assert not gradcheck_leaves(lambda: _loss(rnn(SEQUENCE)), rnn.parameters())


def _hand_unrolled(rnn, xs, steps_kept):
    """The RNN built by hand with a fresh copy of every weight at each step (plain * and +),
    so each step's contribution to a weight's gradient lands on its own copy.  Steps not in
    `steps_kept` get their hidden state from a cut (a detached copy) as truncation does."""
    cell, copies, h = rnn.cell, [], [0.0] * rnn.cell.hidden_size
    for t, x in enumerate(xs, start=1):
        w_x = [[Value(w.data) for w in row] for row in cell.weight_ih]
        w_h = [[Value(w.data) for w in row] for row in cell.weight_hh]
        b = [Value(v.data) for v in cell.bias]
        copies.append((t, [w for row in w_x for w in row] + [w for row in w_h for w in row] + b))
        if t not in steps_kept:
            h = [Value(v.data if isinstance(v, Value) else v) for v in h]
        h = [(sum((w * xi for w, xi in zip(w_x[j], x)), Value(0.0)) + sum(w * hk for w, hk in zip(w_h[j], h)) + b[j]).tanh()
             for j in range(cell.hidden_size)]
    return h, copies


def test_a_shared_weight_gets_the_sum_of_every_steps_contribution():
    rnn = RNN(2, 3, seed=1)
    autograd.sum(rnn(SEQUENCE)[-1]).backward()
    h, copies = _hand_unrolled(rnn, SEQUENCE, steps_kept=range(1, 7))
    autograd.sum(h).backward()
    params = [w for row in rnn.cell.weight_ih for w in row] + [w for row in rnn.cell.weight_hh for w in row] + rnn.cell.bias
    for i, p in enumerate(params):
        per_step_grads = [step[i].grad for _, step in copies]
        assert sum(g != 0 for g in per_step_grads) > 1  # really shared: several steps contribute
        assert p.grad == pytest.approx(math.fsum(per_step_grads), rel=1e-12, abs=1e-15)


def test_a_classic_by_hand_a_linear_unit_multiplies_the_gradient_by_w_at_each_step():
    rnn = RNN(1, 1, activation="linear", seed=0)
    (w_x,), (w_h,), (b,) = rnn.cell.weight_ih[0], rnn.cell.weight_hh[0], rnn.cell.bias
    w_x.data, w_h.data, b.data = 1.0, 0.5, 0.0
    states = rnn([[1.0], [0.0], [0.0]])  # h1 = 1, h2 = 0.5, h3 = 0.25 = w_h**2 * w_x
    assert [h[0].data for h in states] == [1.0, 0.5, 0.25]
    states[-1][0].backward()
    assert w_h.grad == 2 * 0.5 * 1.0  # d(w_h**2 w_x)/dw_h = 2 w_h w_x
    assert w_x.grad == 0.25  # only x1 = 1 is not zero: w_h**2
    assert hidden_grad_norms(states) == [0.25, 0.5, 1.0]  # vanishing by 0.5 per step back


@pytest.mark.parametrize("k", [1, 2, 4])
def test_truncation_zeroes_gradients_before_the_cut_and_keeps_them_after(k):
    full, cut = RNN(2, 3, seed=2), RNN(2, 3, seed=2, truncate=k)
    states_full, states_cut = full(SEQUENCE), cut(SEQUENCE)
    assert [[v.data for v in h] for h in states_cut] == [[v.data for v in h] for h in states_full]  # same forward
    autograd.sum(states_full[-1]).backward()
    autograd.sum(states_cut[-1]).backward()
    last_cut = (len(SEQUENCE) - 1) // k * k  # the state after this step is passed on detached
    for t, (h_full, h_cut) in enumerate(zip(states_full, states_cut), start=1):
        if t <= last_cut:
            assert all(v.grad == 0.0 for v in h_cut), t
            assert any(v.grad != 0.0 for v in h_full), t
        else:
            assert [v.grad for v in h_cut] == [v.grad for v in h_full], t
    h, copies = _hand_unrolled(cut, SEQUENCE, steps_kept=range(last_cut + 2, 7))
    autograd.sum(h).backward()
    for i, p in enumerate(cut.parameters()):  # the parameters get only the steps after the cut
        assert p.grad == pytest.approx(math.fsum(step[i].grad for t, step in copies if t > last_cut), rel=1e-12, abs=1e-15)
        assert all(step[i].grad == 0 for t, step in copies if t <= last_cut)


def test_the_initial_state_is_zero_leaves_or_given():
    rnn = RNN(2, 3, seed=0)
    states = rnn(SEQUENCE)
    autograd.sum(states[-1]).backward()
    h0 = [Value(0.0), Value(0.0), Value(0.0)]
    given_states = RNN(2, 3, seed=0)(SEQUENCE, h0)
    assert [v.data for v in given_states[-1]] == [v.data for v in states[-1]]
    autograd.sum(given_states[-1]).backward()
    assert any(v.grad != 0 for v in h0)  # the gradient reaches the start of the sequence
    assert [h[0].label for h in states] == ["h1[1]", "h2[1]", "h3[1]", "h4[1]", "h5[1]", "h6[1]"]


def test_a_cell_step_matches_its_formula():
    cell = RNNCell(2, 2, seed=3)
    x, h = [0.5, -1.0], [0.2, -0.4]
    out = cell(x, h)
    for j in range(2):
        pre = sum(w.data * xi for w, xi in zip(cell.weight_ih[j], x)) + sum(w.data * hk for w, hk in zip(cell.weight_hh[j], h))
        assert out[j].data == pytest.approx(math.tanh(pre + cell.bias[j].data), rel=1e-14)
    assert [name for name, _ in cell.named_parameters()][:2] == ["weight_ih.0.0", "weight_ih.0.1"]


def test_bad_sizes_sequences_and_options_are_clear_errors():
    with pytest.raises(ValueError, match="hidden_size must be a positive integer, got 0"):
        RNN(2, 0)
    with pytest.raises(ValueError, match="truncate must be a positive integer, got 0"):
        RNN(2, 3, truncate=0)
    with pytest.raises(ValueError, match="expected 2 inputs and a state of 3, got 1 inputs"):
        RNN(2, 3)([[1.0]])
    with pytest.raises(ValueError, match="the sequence is empty"):
        RNN(2, 3)([])
    with pytest.raises(TypeError, match="return_sequences must be True or False"):
        RNNModel(2, 3, return_sequences=1)
    with pytest.raises(ValueError, match=r"3 steps of output need as many targets, got \[0.0, 1.0\]"):
        per_step(nets.losses.mse)(Steps([Value(1.0)] * 3), [0.0, 1.0])
    with pytest.raises(ValueError, match="3 steps of output need as many targets, got 1.0"):
        per_step(nets.losses.mse)(Steps([Value(1.0)] * 3), 1.0)


# ---- data ----


def test_binary_addition_adds_bit_by_bit_least_significant_first():
    X, y = nets.data.binary_addition(50, bits=8, seed=4)
    assert X.shape == (50, 8, 2) and y.shape == (50, 8)
    place = 2 ** np.arange(8)
    a, b, total = X[:, :, 0] @ place, X[:, :, 1] @ place, y @ place
    assert np.array_equal(a + b, total) and a.max() < 128 and b.max() < 128
    assert np.array_equal(nets.data.binary_addition(50, 8, seed=4)[0], X)
    assert not np.array_equal(nets.data.binary_addition(50, 8, seed=5)[0], X)
    with pytest.raises(ValueError, match="bits must be an integer from 2 to 62, got 1"):
        nets.data.binary_addition(10, bits=1)


def test_sine_waves_continue_their_sequence():
    X, y = nets.data.sine_waves(30, length=12, noise=0.0, seed=1)
    assert X.shape == (30, 12, 1) and y.shape == (30,)
    series = np.concatenate([X[:, :, 0], y[:, None]], axis=1)
    # a clean sine obeys s_{t+1} = 2 cos(w) s_t - s_{t-1}: the next value is determined by the sequence
    two_cos = (series[:, 2:] + series[:, :-2]) / series[:, 1:-1]
    assert np.allclose(two_cos, two_cos[:, :1], atol=1e-6) or np.abs(series[:, 1:-1]).min() < 1e-3
    noisy = nets.data.sine_waves(30, length=12, seed=1)
    assert np.array_equal(noisy[0], nets.data.sine_waves(30, length=12, seed=1)[0])
    assert 0 < np.std(noisy[0] - X) < 0.1
    with pytest.raises(ValueError, match="length must be a positive integer, got 0"):
        nets.data.sine_waves(10, length=0)


# ---- training and saving sequence models ----


def test_fit_a_many_to_many_model_on_binary_addition_and_round_trip_it(tmp_path):
    X, y = nets.data.binary_addition(40, bits=4, seed=0)
    model = RNNModel(2, 4, return_sequences=True, seed=0)
    outs = model(X[0])
    assert isinstance(outs, Steps) and len(outs) == 4
    history = nets.fit(model, X, y, loss="bce_with_logits", optimizer=nets.optim.Adam(model.parameters(), lr=0.05),
                       epochs=4, batch_size=8, seed=0, progress=False)
    assert history["loss"][-1] < history["loss"][0]
    loss, accuracy = nets.evaluate(model, X, y, loss="bce_with_logits")
    predicted = nets.predict(model, X)
    assert np.asarray(predicted).shape == y.shape  # one class per step
    assert accuracy == np.mean([p == t for p, t in zip(predicted, y.tolist())])  # a sequence counts when every bit is right
    expected = math.fsum(math.fsum(nets.losses.bce_with_logits(o, t).data for o, t in zip(model(x), ts)) / 4
                         for x, ts in zip(X.tolist(), y.tolist())) / len(X)
    assert loss == pytest.approx(expected, rel=1e-12)  # the per-step losses, averaged over steps then sequences
    model.save(tmp_path / "adder.json")
    loaded = nets.load(tmp_path / "adder.json")
    assert type(loaded) is RNNModel and loaded.config() == model.config()
    assert nets.predict(loaded, X) == predicted
    assert [o.data for o in loaded(X[3])] == [o.data for o in model(X[3])]


def test_fit_a_many_to_one_model_on_sine_waves_and_round_trip_it(tmp_path):
    X, y = nets.data.sine_waves(30, length=8, seed=0)
    model = RNNModel(1, 4, seed=0, truncate=4)
    history = nets.fit(model, X, y, loss="mse", optimizer=nets.optim.Adam(model.parameters(), lr=0.02),
                       epochs=5, batch_size=10, seed=0, progress=False, metrics=())
    assert history["loss"][-1] < history["loss"][0]
    model.save(tmp_path / "sine.json")
    loaded = nets.load(tmp_path / "sine.json")
    assert loaded.config() == model.config() and loaded.rnn.truncate == 4
    assert loaded(X[0]).data == model(X[0]).data
    assert nets.evaluate(loaded, X, y, loss="mse") == nets.evaluate(model, X, y, loss="mse")


def test_load_counts_a_recurrent_models_parameters_before_building_it(tmp_path):
    model = RNNModel(2, 3, output_size=2, seed=0)
    assert model.num_parameters() == (2 + 3 + 1) * 3 + (3 + 1) * 2
    path = tmp_path / "huge.json"
    model.save(path)
    path.write_text(path.read_text().replace('"hidden_size": 3', '"hidden_size": 100000'))
    with pytest.raises(ValueError, match="parameters, more than 10,000,000"):
        nets.load(path)


# ---- seeing BPTT ----


def _three_step_rnn():
    rnn = RNN(1, 2, seed=0)
    xs = [[Value(x, label=f"x{t}")] for t, x in enumerate([0.5, -1.0, 2.0], start=1)]
    total = autograd.sum(rnn(xs)[-1])
    total.label = "L"
    return rnn, total


def test_the_unrolled_graph_of_three_steps_draws_with_every_name():
    rnn, total = _three_step_rnn()
    total.backward()
    source = draw_graph(total, params=rnn.parameters(), rankdir="TB").source
    for name in ["x1", "x3", "h0[1]", "h1[2]", "h3[1]", "Wx[2,1]", "Wh[1,2]", "b[2]"]:
        assert f"{{ {name} |" in source or f"{name} |" in source, name
    assert source.count("Σ w·x + b") == 6  # one fused node per unit per step
    assert len(graph_nodes(total)) == 8 + 3 + 2 + 3 * 2 * 2 + 1  # parameters, inputs, h0, 2 nodes per unit-step, L
    plain = autograd.sum(RNN(1, 2, seed=0)([[0.5], [-1.0], [2.0]])[-1])
    assert len(graph_nodes(plain)) == len(graph_nodes(total))  # a plain-number input is one leaf, shared by both units


def test_the_plots_of_gradients_through_time_and_of_predictions(tmp_path):
    figure = nets.plot.gradient_norms_through_time({"tanh": [1e-6, 1e-3, 1.0], "linear": [8.0, 2.0, 1.0]})
    assert [line.get_label() for line in figure.axes[0].get_lines()] == ["tanh", "linear"]
    assert figure.axes[0].get_yscale() == "log"
    figure = nets.plot.predictions([0.0, 1.0, 2.0], [0.0, 1.0, 2.5], baseline=[1.0, 1.0, 1.0])
    assert [t.get_text() for t in figure.axes[0].get_legend().get_texts()] == [
        "model (MSE 0.0833)", "baseline (MSE 0.6667)", "perfect"]
    assert nets.plot.save(figure, tmp_path / "p.png")
    with pytest.raises(ValueError, match=r"predictions: model has shape \(2,\) but the targets \(3,\)"):
        nets.plot.predictions([0.0, 1.0, 2.0], [0.0, 1.0])


def test_backward_steps_walk_back_through_time_as_backward_does():
    rnn, total = _three_step_rnn()
    steps = list(backward_steps(total))
    walked = {p: p.grad for p in rnn.parameters()}
    assert len(steps) == 1 + 3 * 2 * 2  # the sum, then a tanh and a weighted sum per unit per step
    names = [step.explain().split(" ")[0] for step in steps]
    assert names.index("h3[1]") < names.index("h2[1]") < names.index("h1[1]")  # backwards in time
    for p in rnn.parameters():
        p.grad = 0.0
    total.backward()
    assert walked == {p: p.grad for p in rnn.parameters()}
