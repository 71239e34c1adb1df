"""Modules: parameter counts, seeding, inputs, fused vs unfused neurons, Dropout, state dicts."""

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nets
from autograd import Value, no_grad
from nets import MLP, Dropout, Layer, Neuron
from nets import init as initialisers
from nets.activations import softmax


def test_parameter_counts_of_the_classic_networks():
    assert MLP(2, [16, 16, 1]).num_parameters() == 337
    assert MLP(784, [16, 16, 10]).num_parameters() == 13_002
    assert Neuron(3).num_parameters() == 4
    assert Layer(3, 5).num_parameters() == 20


def test_same_seed_same_weights_and_different_seed_different_weights():
    assert MLP(2, [4, 1], seed=7).state_dict() == MLP(2, [4, 1], seed=7).state_dict()
    assert MLP(2, [4, 1], seed=7).state_dict() != MLP(2, [4, 1], seed=8).state_dict()


def test_one_output_gives_a_value_and_several_give_a_list():
    assert isinstance(MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    out = MLP(2, [3, 4], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 4 and all(isinstance(v, Value) for v in out)
    assert len(Layer(2, 1, seed=0)([1.0, 2.0])) == 1  # a Layer always returns a list


def test_inputs_may_be_numbers_values_or_numpy_rows():
    model = MLP(3, [4, 1], seed=1)
    expected = model([0.5, -1.0, 2.0]).data
    assert model(np.array([0.5, -1.0, 2.0])).data == pytest.approx(expected)
    assert model((0.5, -1, 2)).data == pytest.approx(expected)
    assert model([Value(0.5), Value(-1.0), 2.0]).data == pytest.approx(expected)


def test_gradients_reach_value_inputs():
    x = [Value(0.3), Value(-0.2)]
    MLP(2, [3, 1], seed=0)(x).backward()
    assert any(v.grad != 0 for v in x)


def test_wrong_number_of_inputs_is_a_clear_error():
    with pytest.raises(ValueError, match="Neuron: expected 3 inputs, got 2"):
        MLP(3, [2, 1])([1.0, 2.0])


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_sizes_are_rejected(bad):
    with pytest.raises(ValueError, match="positive integer"):
        MLP(2, [bad])
    with pytest.raises(ValueError, match="nin"):
        Neuron(bad)


def test_unknown_activation_and_initialiser_name_the_value():
    with pytest.raises(ValueError, match="'swish'"):
        Neuron(2, activation="swish")
    with pytest.raises(ValueError, match="'zeros'"):
        Neuron(2, init="zeros")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-3, 3), min_size=3, max_size=3),
    st.sampled_from(["tanh", "sigmoid", "linear", "leaky_relu"]),
    st.integers(0, 1000),
)
def test_fused_and_unfused_neurons_agree_on_value_and_gradients(x, activation, seed):
    fused = Neuron(3, activation, seed=seed)
    unfused = Neuron(3, activation, fused=False, seed=seed)
    xs_f, xs_u = [Value(v) for v in x], [Value(v) for v in x]
    out_f, out_u = fused(xs_f), unfused(xs_u)
    assert out_f.data == pytest.approx(out_u.data, abs=1e-12)
    out_f.backward()
    out_u.backward()
    for a, b in zip(fused.parameters() + xs_f, unfused.parameters() + xs_u):
        assert a.grad == pytest.approx(b.grad, abs=1e-12)


def test_unfused_neuron_builds_every_multiply_and_add():
    out = Neuron(2, "tanh", fused=False, seed=0)([Value(1.0), Value(2.0)])
    ops = []
    stack = [out]
    while stack:
        node = stack.pop()
        ops.append(node.op)
        stack.extend(node.parents)
    assert sorted(op for op in ops if op) == ["*", "*", "+", "+", "tanh"]


def test_zero_grad_and_train_eval_reach_every_module():
    model = MLP(2, [3, 1], seed=0, dropout=0.5)
    model([1.0, 1.0]).backward()
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_state_dict_round_trip_and_mismatch():
    a, b = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
    b.load_state_dict(a.state_dict())
    assert b([0.2, 0.7]).data == a([0.2, 0.7]).data
    assert list(a.state_dict())[:3] == ["layers.0.neurons.0.w1", "layers.0.neurons.0.w2", "layers.0.neurons.0.b"]
    with pytest.raises(ValueError, match="missing 'layers.1.neurons.0.b'"):
        b.load_state_dict({k: v for k, v in a.state_dict().items() if k != "layers.1.neurons.0.b"})
    with pytest.raises(ValueError, match="finite"):
        b.load_state_dict({**a.state_dict(), "layers.0.neurons.0.b": float("nan")})


def test_dropout_is_the_identity_in_eval():
    drop = Dropout(0.5, seed=0).eval()
    xs = [Value(float(i)) for i in range(10)]
    assert drop(xs) == xs
    model = MLP(2, [8, 8, 1], seed=0, dropout=0.5).eval()
    assert model([0.3, 0.4]).data == model([0.3, 0.4]).data


def test_dropout_zeroes_and_rescales_in_training():
    drop = Dropout(0.25, seed=0)
    out = [v.data for v in drop([Value(1.0)] * 4000)]
    assert set(out) == {0.0, 1 / 0.75}
    assert 0.22 < out.count(0.0) / len(out) < 0.28
    assert sum(out) / len(out) == pytest.approx(1.0, abs=0.05)  # the expected value is kept


@pytest.mark.parametrize("p", [-0.1, 1.0, "half"])
def test_dropout_rejects_bad_probabilities(p):
    with pytest.raises(ValueError, match="Dropout: p must be"):
        Dropout(p)


@pytest.mark.parametrize(
    ("name", "fan_in", "fan_out", "std"),
    [
        ("uniform", 10, 10, 1 / 3**0.5),
        ("xavier_uniform", 30, 10, (2 / 40) ** 0.5),
        ("xavier_normal", 30, 10, (2 / 40) ** 0.5),
        ("he_uniform", 50, 10, (2 / 50) ** 0.5),
        ("he_normal", 50, 10, (2 / 50) ** 0.5),
    ],
)
def test_initialisers_have_their_documented_spread(name, fan_in, fan_out, std):
    draw, rng = initialisers.INITIALISERS[name], random.Random(0)
    samples = np.array([draw(fan_in, fan_out, rng) for _ in range(20_000)])
    assert abs(samples.mean()) < 0.02 * 3 * std + 0.01
    assert samples.std() == pytest.approx(std, rel=0.05)


def test_default_initialiser_is_he_for_relu_and_xavier_otherwise():
    assert initialisers.get(None, "relu") is initialisers.he_uniform
    assert initialisers.get(None, "tanh") is initialisers.xavier_uniform


def test_softmax_sums_to_one_and_is_stable_at_1000():
    probs = softmax([Value(1000.0), Value(999.0), Value(-1000.0)])
    assert sum(p.data for p in probs) == pytest.approx(1.0)
    assert probs[0].data == pytest.approx(1 / (1 + np.exp(-1)))
    assert probs[2].data == 0.0


def test_no_grad_forward_builds_no_graph():
    with no_grad():
        out = MLP(2, [4, 1], seed=0)([1.0, 2.0])
    assert out.parents == ()


def test_public_api():
    for name in ["Module", "Neuron", "Layer", "MLP", "Dropout", "fit", "History", "load",
                 "losses", "optim", "init", "data", "plot"]:
        assert hasattr(nets, name), name


def test_load_state_dict_accepts_numpy_scalars_but_not_bools():
    a, b = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
    b.load_state_dict({name: np.float32(v) for name, v in a.state_dict().items()})
    assert b.state_dict() == pytest.approx(a.state_dict(), rel=1e-6)
    assert all(type(v) is float for v in b.state_dict().values())
    with pytest.raises(ValueError, match="must be a finite number, got True"):
        b.load_state_dict({**a.state_dict(), "layers.0.neurons.0.b": True})
