"""Optimisers, the learning-rate schedule, gradient clipping and the max-norm constraint."""

import math

import pytest

from autograd import Value
from nets import MLP, optim


def _params(*values, grads=None):
    params = [Value(v) for v in values]
    for p, g in zip(params, grads or []):
        p.grad = g
    return params


def test_sgd_steps_against_the_gradient():
    p = _params(1.0, -2.0, grads=[0.5, -1.0])
    optim.SGD(p, lr=0.1).step()
    assert [x.data for x in p] == pytest.approx([0.95, -1.9])


def test_sgd_momentum_accumulates_velocity():
    (p,) = _params(0.0)
    sgd = optim.SGD([p], lr=1.0, momentum=0.9)
    for _ in range(2):
        p.grad = 1.0
        sgd.step()
    assert p.data == pytest.approx(-(1.0 + 1.9))


def test_sgd_weight_decay_is_the_gradient_of_half_wd_p_squared():
    (p,) = _params(2.0, grads=[0.0])
    optim.SGD([p], lr=0.5, weight_decay=0.1).step()
    assert p.data == pytest.approx(2.0 - 0.5 * 0.1 * 2.0)


def test_adam_first_step_is_lr_in_the_gradients_direction():
    p = _params(1.0, 1.0, grads=[1e-3, -50.0])
    optim.Adam(p, lr=0.01).step()
    assert [x.data for x in p] == pytest.approx([0.99, 1.01], rel=1e-4)


@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=0.1, momentum=0.5), lambda p: optim.Adam(p, lr=0.1)])
def test_optimisers_minimise_a_quadratic(make):
    x, y = Value(3.0), Value(-2.0)
    opt = make([x, y])
    for _ in range(300):
        opt.zero_grad()
        ((x - 1) ** 2 + 2 * (y + 0.5) ** 2).backward()
        opt.step()
    assert (x.data, y.data) == pytest.approx((1.0, -0.5), abs=1e-3)


def test_zero_grad_resets_every_parameter():
    p = _params(1.0, 2.0, grads=[3.0, 4.0])
    optim.SGD(p, lr=0.1).zero_grad()
    assert [x.grad for x in p] == [0.0, 0.0]


def test_linear_decay_goes_from_lr_to_final_lr_and_stays():
    sgd = optim.SGD(_params(0.0), lr=1.0)
    schedule = optim.LinearDecay(sgd, 0.1, steps=10)
    seen = []
    for _ in range(12):
        schedule.step()
        seen.append(sgd.lr)
    assert seen[0] == pytest.approx(0.91)
    assert seen[9:] == pytest.approx([0.1, 0.1, 0.1])


def test_clip_grad_norm_keeps_direction_and_caps_length():
    p = _params(0.0, 0.0, grads=[3.0, 4.0])
    assert optim.clip_grad_norm(p, 1.0) == pytest.approx(5.0)
    assert [x.grad for x in p] == pytest.approx([0.6, 0.8])
    assert optim.clip_grad_norm(p, 10.0) == pytest.approx(1.0)  # already short: unchanged
    assert [x.grad for x in p] == pytest.approx([0.6, 0.8])


def test_clip_grad_value_clamps_each_gradient():
    p = _params(0.0, 0.0, 0.0, grads=[3.0, -4.0, 0.5])
    optim.clip_grad_value(p, 1.0)
    assert [x.grad for x in p] == [1.0, -1.0, 0.5]


def test_max_norm_constraint_rescales_each_neurons_weights():
    model = MLP(3, [4, 2], init="uniform", seed=0)
    for p in model.parameters():
        p.data *= 10
    optim.max_norm_constraint(model, 2.0)
    for layer in model.layers:
        for neuron in layer.neurons:
            assert math.sqrt(sum(w.data**2 for w in neuron.w)) <= 2.0 + 1e-12


@pytest.mark.parametrize(("call", "match"), [
    (lambda: optim.SGD([Value(0.0)], lr=-1), "SGD: lr must be a non-negative number, got -1"),
    (lambda: optim.SGD([], lr=0.1), "params is empty"),
    (lambda: optim.SGD([Value(0.0)], lr=0.1, momentum=1.5), "momentum must be in \\[0, 1\\), got 1.5"),
    (lambda: optim.Adam([Value(0.0)], betas=(0.9, 1.0)), "betas\\[1\\]"),
    (lambda: optim.LinearDecay(optim.SGD([Value(0.0)], lr=1), 0.1, steps=0), "steps must be a positive integer"),
    (lambda: optim.clip_grad_norm([Value(0.0)], float("nan")), "max_norm"),
])
def test_bad_arguments_name_themselves(call, match):
    with pytest.raises(ValueError, match=match):
        call()
