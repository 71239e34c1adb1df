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


def _torch_adam(theta, grads, lr, betas, eps, weight_decay, decoupled=False):
    """torch.optim.Adam's documented algorithm (and AdamW's, `decoupled`), written from its
    formulas for one parameter: theta after each step, given the gradient at each step's theta."""
    b1, b2 = betas
    m = v = 0.0
    path = []
    for t in range(1, len(grads) + 1):
        g = grads[t - 1](theta)
        if decoupled:
            theta = theta - lr * weight_decay * theta
        elif weight_decay != 0:
            g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        theta = theta - lr * m_hat / (math.sqrt(v_hat) + eps)
        path.append(theta)
    return path


GRADIENTS = {  # the gradient at theta, one function per step: a curved loss, tiny gradients, changing signs
    "quadratic": [lambda th: 2 * (th - 0.3)] * 8,
    "tiny": [lambda th, k=k: 1e-9 * (k + 1) * th for k in range(8)],
    "signs": [lambda th, k=k: (-1) ** k * (0.5 + th * th) for k in range(8)],
}


@pytest.mark.parametrize("kind", GRADIENTS)
@pytest.mark.parametrize("cls, options", [
    (optim.Adam, {}),
    (optim.Adam, {"weight_decay": 0.1}),
    (optim.Adam, {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.01}),
    (optim.AdamW, {}),
    (optim.AdamW, {"lr": 0.05, "weight_decay": 0.3}),
])
def test_adam_follows_torchs_documented_algorithm(kind, cls, options):
    grads = GRADIENTS[kind]
    defaults = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2 if cls is optim.AdamW else 0.0}
    expected = _torch_adam(0.7, grads, **{**defaults, **options}, decoupled=cls is optim.AdamW)
    (p,) = _params(0.7)
    adam = cls([p], **options)
    for grad, want in zip(grads, expected):
        p.grad = grad(p.data)
        adam.step()
        assert p.data == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_adams_eps_comes_after_the_bias_correction():
    """With tiny gradients the first step is still ~lr, as in torch (eps is added to sqrt(v_hat))."""
    (p,) = _params(0.0, grads=[1e-9])
    optim.Adam([p], lr=1.0).step()
    assert p.data == pytest.approx(-1e-9 / (1e-9 + 1e-8))


@pytest.mark.parametrize("make", [
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.2),
    lambda p: optim.Adam(p, lr=0.1, weight_decay=0.1),
    lambda p: optim.AdamW(p, lr=0.1),
])
def test_update_on_arrays_is_the_step_on_each_parameter(make):
    """`update` is the whole rule and runs on NumPy arrays too: the compiled trainer steps with it."""
    np = pytest.importorskip("numpy")
    start, grads = [0.5, -1.5, 2.0], [[0.1, -0.2, 3.0], [0.3, 0.0, -1.0], [1e-7, 2.0, 0.5]]
    params = _params(*start)
    scalar, vector = make(params), make(_params(*start))
    data = np.array(start)
    adam = isinstance(vector, optim.Adam)
    state = [np.zeros(3)] * (2 if adam else 1)
    for g in grads:
        for p, gi in zip(params, g):
            p.grad = gi
        scalar.step()
        if adam:
            vector.t += 1
        data, *state = vector.update(data, np.array(g), *state)
    assert data.tolist() == pytest.approx([p.data for p in params], rel=1e-15)


def test_positional_orders_match_torch_or_are_keyword_only():
    with pytest.raises(TypeError):
        optim.SGD([Value(0.0)], 0.1, 0.9, 0.5)  # torch's 4th is dampening
    adam = optim.Adam([Value(0.0)], 0.1, (0.8, 0.9), 1e-6, 0.2)  # torch: lr, betas, eps, weight_decay
    assert (adam.lr, adam.beta1, adam.beta2, adam.eps, adam.weight_decay) == (0.1, 0.8, 0.9, 1e-6, 0.2)
    assert optim.AdamW([Value(0.0)]).weight_decay == 0.01  # torch's AdamW default


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
