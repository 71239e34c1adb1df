"""`autograd.compile`: the tape replayed over a batch gives what the scalar engine gives.

Every comparison is against the scalar engine run example by example on the same numbers:
outputs, losses and parameter gradients (summed over the batch) agree to 1e-12 relative
(with a 1e-12 absolute floor, for sums that cancel to about zero), kinks included: the
generated numbers are often exactly 0, where relu, abs, clamp and max switch.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nets
from autograd import OPS, Value
from nets import MLP, callbacks, data, optim
from nets.compiled import CompiledTraining

TOLERANCE = 1e-12


def assert_close(compiled, scalar, what: str) -> None:
    compiled, scalar = np.asarray(compiled, dtype=float), np.asarray(scalar, dtype=float)
    gap = np.abs(compiled - scalar)
    limit = TOLERANCE * np.maximum(np.abs(compiled), np.abs(scalar)) + TOLERANCE
    worst = int(np.argmax(gap - limit))
    assert (gap <= limit).all(), f"{what}: compiled {compiled.flat[worst]!r} but scalar {scalar.flat[worst]!r}"


# Each builder applies one op to earlier nodes a, b (and a plain number c in [0.5, 2]),
# shifted into the op's domain with other ops (never with an `if`: that would be a
# data-dependent graph).  Together they use every op code of the table, in every form.
BUILDERS = [
    lambda a, b, c: a + b,
    lambda a, b, c: a + c,
    lambda a, b, c: c + a,
    lambda a, b, c: a - b,
    lambda a, b, c: a - c,
    lambda a, b, c: c - a,
    lambda a, b, c: a * b,
    lambda a, b, c: a * c,
    lambda a, b, c: c * a,
    lambda a, b, c: a / (b * b + 0.5),
    lambda a, b, c: a / c,
    lambda a, b, c: c / (a * a + 0.5),
    lambda a, b, c: a**2,
    lambda a, b, c: a**3,
    lambda a, b, c: (a * a + 0.5) ** -1.5,
    lambda a, b, c: (a * a + 0.5) ** b.tanh(),
    lambda a, b, c: a.tanh() ** 2.0,
    lambda a, b, c: c ** a.tanh(),
    lambda a, b, c: -a,
    lambda a, b, c: abs(a),
    lambda a, b, c: a.tanh().exp(),
    lambda a, b, c: (a * a + 0.5).log(),
    lambda a, b, c: (a * a + 0.5).sqrt(),
    lambda a, b, c: a.tanh(),
    lambda a, b, c: a.sigmoid(),
    lambda a, b, c: (a * 30.0).sigmoid(),
    lambda a, b, c: a.relu(),
    lambda a, b, c: (a - b).relu(),  # a kink whenever a == b, which the numbers below make common
    lambda a, b, c: abs(a - b),
    lambda a, b, c: (a - b).leaky_relu(0.1),
    lambda a, b, c: (a - b).clamp(0.0, 1.0),
    lambda a, b, c: a.leaky_relu(0.1),
    lambda a, b, c: a.clamp(-0.5, 0.5),
    lambda a, b, c: a.clamp(None, 0.0),
    lambda a, b, c: a.clamp(0.0, None),
    lambda a, b, c: a.sin(),
    lambda a, b, c: a.cos(),
    lambda a, b, c: autograd.sum([a, b, c, a]),
    lambda a, b, c: autograd.sum([a, b]),
    lambda a, b, c: autograd.max([a, b]),
    lambda a, b, c: autograd.max([a, b * 0.5, 0.0]),
    lambda a, b, c: autograd.min([a, b, a]),
    lambda a, b, c: autograd.min([a, c]),
    lambda a, b, c: autograd.weighted_sum([a, b], [b, a], a),
    lambda a, b, c: autograd.weighted_sum([a, b], [c, -1.0], b),
    lambda a, b, c: autograd.weighted_sum([a], [b]),
    lambda a, b, c: autograd.weighted_sum([b, a], [c, 0.0]),
]

numbers = st.one_of(st.sampled_from([0.0, 1.0, -1.0, 0.5]), st.sampled_from([0.0, 1.0]), st.floats(-2, 2))


@st.composite
def graphs(draw):
    """(fn, params, batch): a random graph over 2 parameters and 2 inputs per example."""
    steps = draw(st.lists(st.tuples(st.integers(0, len(BUILDERS) - 1), st.integers(0, 99), st.integers(0, 99),
                                    st.floats(0.5, 2)), min_size=1, max_size=10))
    params = [Value(draw(numbers)) for _ in range(2)]
    examples = draw(st.sampled_from([1, 2, 5, 16]))
    batch = np.array(draw(st.lists(st.lists(numbers, min_size=2, max_size=2), min_size=examples, max_size=examples)))

    def fn(x):
        pool = [*params, *x]
        for builder, i, j, c in steps:
            pool.append(BUILDERS[builder](pool[i % len(pool)], pool[j % len(pool)], c))
        return pool[-2:]

    return fn, params, batch


def scalar_run(fn, params, batch):
    """The scalar engine, example by example: outputs (outputs, examples) and summed grads."""
    for p in params:
        p.grad = 0.0
    outputs = []
    for row in batch.tolist():
        outs = fn([Value(x) for x in row])
        autograd.sum(outs).backward()
        outputs.append([o.data for o in outs])
    return np.array(outputs).T, np.array([p.grad for p in params])


@settings(max_examples=300, deadline=None)
@given(graphs())
def test_random_graphs_of_every_op_match_the_scalar_engine(graph):
    fn, params, batch = graph
    try:
        expected, expected_grads = scalar_run(fn, params, batch)
    except (ValueError, OverflowError, ZeroDivisionError):  # outside a domain: the tape must refuse too
        with pytest.raises((ValueError, OverflowError)):
            tape = autograd.compile(fn, params, batch)
            tape.forward(batch)
            tape.backward()
        return
    for p in params:
        p.grad = 0.0
    tape = autograd.compile(fn, params, batch)
    assert_close(tape.forward(batch), expected, "outputs")
    grads = tape.backward()
    assert_close(grads, expected_grads, "gradients")
    assert_close([p.grad for p in params], expected_grads, "p.grad")


def test_every_op_of_the_table_has_a_batched_rule_and_the_builders_use_them_all():
    missing = sorted(code for code, entry in OPS.items() if entry.batched is None)
    assert not missing, f"ops of the table with no batched rule: {missing}"
    a, b = Value(0.3), Value(-0.7)
    assert {build(a, b, 1.5).op for build in BUILDERS} == set(OPS)


LOSSES = {"hinge": 1, "bce": 1, "bce_with_logits": 1, "mse": 1, "sse": 1, "cross_entropy": 3}


@settings(max_examples=60, deadline=None)
@given(
    loss=st.sampled_from(sorted(LOSSES)),
    hidden=st.lists(st.integers(1, 5), min_size=0, max_size=2),
    activation=st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu", "linear"]),
    seed=st.integers(0, 100),
    examples=st.sampled_from([1, 3, 8]),
    zeros=st.booleans(),
)
def test_random_mlps_and_losses_match_the_scalar_engine(loss, hidden, activation, seed, examples, zeros):
    outputs = LOSSES[loss]
    model = MLP(3, [*hidden, outputs], activation=activation, seed=seed,
                output_activation="sigmoid" if loss == "bce" else None)
    rng = np.random.default_rng(seed)
    X = np.zeros((examples, 3)) if zeros else rng.normal(size=(examples, 3))  # zeros: every relu at its kink
    y = rng.integers(0, outputs if outputs > 1 else 2, size=examples).astype(float)
    if loss in ("mse", "sse"):
        y = rng.normal(size=examples)
    params = model.parameters()
    loss_fn = nets.losses.get(loss)
    for p in params:
        p.grad = 0.0
    outs = [model(x) for x in X.tolist()]
    mean = autograd.sum(loss_fn(o, t) for o, t in zip(outs, y.tolist())) * (1.0 / examples)
    mean.backward()
    expected = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    trainer = CompiledTraining(model, loss, X, y)
    compiled_loss, classes = trainer.forward(X, y)
    assert_close(compiled_loss, mean.data, "loss")
    assert_close(trainer.backward(), expected, "gradients")
    assert classes == nets.outputs.output_classes(outs, nets.outputs.threshold_for(loss))
    assert_close(trainer.scores.T, [[o.data] if isinstance(o, Value) else [v.data for v in o] for o in outs], "outputs")


def test_ten_epochs_of_the_moons_demo_end_with_the_same_weights():
    X, y = data.moons(n=100, noise=0.1, seed=0)
    weights = []
    for compiled in (False, True):
        model = MLP(2, [16, 16, 1], activation="relu", seed=0)
        sgd = optim.SGD(model.parameters(), lr=1.0, weight_decay=2e-4)
        history = nets.fit(model, X, y, loss="hinge", optimizer=sgd, epochs=10, progress=False, seed=0,
                           schedule=optim.LinearDecay(sgd, 0.1, 100), compiled=compiled)
        weights.append([p.data for p in model.parameters()])
        assert len(history["loss"]) == 10
    assert np.max(np.abs(np.subtract(*weights))) <= 1e-9


def test_compiled_fit_trains_digits_in_minibatches_and_leaves_an_ordinary_model(tmp_path):
    X, y = data.digits("train")
    model = MLP(64, [16, 16, 10], activation="relu", seed=0)
    history = nets.fit(model, X[:400], y[:400], loss="cross_entropy", optimizer=optim.Adam(model.parameters(), lr=0.01),
                       epochs=3, batch_size=32, progress=False, seed=0, compiled=True)
    assert history["accuracy"][-1] > history["accuracy"][0]
    model.save(tmp_path / "digits.json")  # still Values: save, load, predict as ever
    assert nets.predict(nets.load(tmp_path / "digits.json"), X[:5]) == nets.predict(model, X[:5])


def train_both_ways(make_model, X, y, loss, make_optimizer, **fit_args):
    """The same training run with and without compiled=True: (losses, weights) of each."""
    runs = []
    for compiled in (False, True):
        model = make_model()
        optimizer = make_optimizer(model.parameters())
        history = nets.fit(model, X, y, loss=loss, optimizer=optimizer, progress=False, seed=0, compiled=compiled,
                           **fit_args)
        runs.append((history["loss"], [p.data for p in model.parameters()], history))
    return runs


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_recurrent_models_train_compiled_as_uncompiled(return_sequences, cell):
    if return_sequences:  # many-to-many: an output at every step (nets.Steps), the loss averaged over the steps
        X, y = data.binary_addition(16, bits=4, seed=0)
        loss, make = "bce_with_logits", lambda: nets.RNNModel(2, 3, return_sequences=True, seed=0, cell=cell)
    else:
        X, y = data.sine_waves(24, length=6, seed=0)
        loss, make = "mse", lambda: nets.RNNModel(1, 3, seed=0, cell=cell)
    (scalar, w0, h0), (compiled, w1, h1) = train_both_ways(make, X, y, loss, lambda p: optim.Adam(p, lr=0.02),
                                                           epochs=2, batch_size=8)
    assert_close(compiled, scalar, "losses")
    assert_close(w1, w0, "weights")
    assert h1["accuracy"] == h0["accuracy"]


@pytest.mark.parametrize("case", ["momentum", "adamw", "frozen", "custom loss", "early stopping", "bce", "callbacks"])
def test_every_optimiser_option_and_model_kind_trains_compiled_as_uncompiled(case):
    X, y = data.moons(n=40, noise=0.2, seed=0)
    loss, args = "hinge", {"epochs": 3, "batch_size": 16}
    make = lambda: MLP(2, [6, 6, 1], activation="tanh", seed=1)  # noqa: E731
    make_optimizer = lambda p: optim.SGD(p, lr=0.1)  # noqa: E731
    if case == "momentum":
        make_optimizer = lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-3)  # noqa: E731
    elif case == "adamw":
        make_optimizer = lambda p: optim.AdamW(p, lr=0.05)  # noqa: E731
    elif case == "frozen":
        def make():
            model = MLP(2, [6, 6, 1], activation="tanh", seed=1)
            model.layers[0].requires_grad_(False)
            return model
    elif case == "custom loss":
        half_squared = lambda out, t: (out - t) ** 2 * 0.5  # noqa: E731 - a graph only: traced into the tape
        loss = nets.losses.LossSpec(half_squared, batched=nets.losses.BatchedLoss(lambda y, k: y, half_squared))
    elif case == "early stopping":
        args.update(validation_data=data.moons(n=20, noise=0.2, seed=1), patience=1, epochs=6)
    elif case == "bce":
        loss, make = "bce", lambda: MLP(2, [6, 1], activation="relu", output_activation="sigmoid", seed=1)  # noqa: E731
    elif case == "callbacks":  # they see and change the Values' gradients and weights between batches
        args["callbacks"] = [callbacks.ClipGradNorm(0.05), callbacks.MaxNorm(0.8)]
    (scalar, w0, h0), (compiled, w1, h1) = train_both_ways(make, X, y, loss, make_optimizer, **args)
    assert_close(compiled, scalar, "losses")
    assert_close(w1, w0, "weights")
    assert h1.best_epoch == h0.best_epoch
    if case == "frozen":
        assert w1[:18] == [p.data for p in make().parameters()][:18]  # the frozen layer did not move


@pytest.mark.parametrize("compiled", [False, True])
def test_compiled_fit_diverges_as_fit_does(compiled):
    X, y = data.moons(n=20, seed=0)
    model = MLP(2, [8, 1], seed=0)
    with pytest.raises(nets.DivergenceError, match="training diverged at epoch"):
        nets.fit(model, X, y, loss="mse", optimizer=optim.SGD(model.parameters(), lr=1e150), epochs=5,
                 progress=False, compiled=compiled)
    assert all(math.isfinite(p.data) for p in model.parameters())


def test_a_small_cnn_trains_compiled_as_uncompiled():
    X, y = data.digits("train", images=True)
    histories, weights = [], []
    for compiled in (False, True):
        model = nets.Sequential(nets.Conv2d(1, 2, 3, seed=0), nets.MaxPool2d(2), nets.ReLU(), nets.Flatten(),
                                nets.Linear(18, 10, seed=0))
        history = nets.fit(model, X[:24], y[:24], loss="cross_entropy", optimizer=optim.Adam(model.parameters(), lr=0.03),
                           epochs=2, batch_size=8, progress=False, seed=0, compiled=compiled)
        histories.append(history["loss"])
        weights.append([p.data for p in model.parameters()])
    assert_close(histories[1], histories[0], "losses")
    assert_close(weights[1], weights[0], "weights")


def test_an_mlp_layer_is_a_few_array_operations():
    model = MLP(2, [16, 16, 1], activation="relu", seed=0)
    tape = autograd.compile(model, model.parameters(), np.zeros((4, 2)))
    assert len(tape.groups) == 3  # per layer one group: matrix product, bias and relu (the output layer is linear)
    assert "3 array operations" in repr(tape)


def test_a_layer_fused_with_its_activation_still_names_the_op_that_fails():
    w, b = [Value(1.0), Value(1.0)], Value(0.0)
    tape = autograd.compile(lambda x: autograd.weighted_sum(w, x, b).log(), w + [b], np.ones((1, 2)))
    assert len(tape.groups) == 1
    with pytest.raises(ValueError, match="log: the result on -2.0 \\(example 1\\) is nan"):
        tape.forward(np.array([[1.0, 1.0], [-1.0, -1.0]]))
    assert tape.forward(np.array([[1.0, 2.0]])).tolist() == [[math.log(3.0)]]
    assert tape.backward().tolist() == [1 / 3, 2 / 3, 1 / 3]


def test_a_graph_that_branches_on_data_is_refused():
    def branchy(x):
        return x * 2 if x.data > 0 else x.relu()

    with pytest.raises(ValueError, match="depends on the data.*node 1 is op '\\*c'.*op 'relu'"):
        autograd.compile(branchy, [], np.array([1.0, 2.0, -1.0]))


def test_a_constant_taken_from_data_is_refused():
    with pytest.raises(ValueError, match="depends on the data.*constants \\[1.0\\] for example 0.*constants \\[2.0\\] for example 1"):
        autograd.compile(lambda x: x * x.data, [], np.array([1.0, 2.0, 3.0]))


def test_inputs_are_symbolic_not_the_first_examples_numbers():
    w = Value(2.0)
    tape = autograd.compile(lambda x: x * w, [w], np.array([1.0]))  # traced on one example only
    assert tape.forward(np.array([5.0, -3.0])).tolist() == [[10.0, -6.0]]
    assert tape.backward().tolist() == [2.0]
    assert w.grad == 2.0


def test_dropout_batchnorm_and_a_data_dependent_loss_are_refused_in_compiled_fit():
    X, y = data.moons(n=20, seed=0)
    model = MLP(2, [4, 1], seed=0, dropout=0.5)
    with pytest.raises(ValueError, match="Dropout\\(p=0.5\\) in training mode draws a new random mask"):
        nets.fit(model, X, y, loss="hinge", optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=1,
                 progress=False, compiled=True)

    model = MLP(2, [4, 1], seed=0, batch_norm=True)
    with pytest.raises(ValueError, match="BatchNorm1d.* in training mode couples the examples of a batch"):
        nets.fit(model, X, y, loss="hinge", optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=1,
                 progress=False, compiled=True)

    def picky(score, target):  # a custom loss that branches on the target
        return score.relu() if target.data > 0 else (-score).relu()

    model = MLP(2, [4, 1], seed=0)
    with pytest.raises(ValueError, match="the loss 'picky' has no branch-free form"):
        nets.fit(model, X, y, loss=picky, optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=1,
                 progress=False, compiled=True)


def weighted_sse(out, t):  # heavier on class 1: branches on the target
    return (out - t) ** 2 * (5.0 if t > 0.5 else 1.0)


def nine_points():
    X = np.random.default_rng(0).normal(size=(9, 2))
    return X, np.array([0, 0, 1, 1, 0, 1, 1, 1, 0], dtype=float)  # examples 0, 1, 4 and 8 (once traced) are all 0


def test_a_loss_that_branches_on_the_target_is_refused_not_trained_wrongly():
    X, y = nine_points()
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="the loss 'weighted_sse' has no branch-free form"):
        nets.fit(model, X, y, loss=weighted_sse, optimizer=optim.SGD(model.parameters(), 0.1), epochs=1,
                 progress=False, compiled=True, metrics=())
    # declared branch-free but comparing the target: caught in the trace, at the comparison
    lying = nets.losses.LossSpec(weighted_sse, batched=nets.losses.BatchedLoss(lambda y, outputs: y, weighted_sse))
    with pytest.raises(ValueError, match="compile: a Value is compared \\(>\\) while being traced"):
        nets.fit(model, X, y, loss=lying, optimizer=optim.SGD(model.parameters(), 0.1), epochs=1,
                 progress=False, compiled=True, metrics=())


def test_a_loss_of_your_own_with_a_branch_free_form_trains_compiled_as_uncompiled():
    X, y = nine_points()
    # the same weighting without a branch: the weight 1 + 4t is an input number
    spec = nets.losses.LossSpec(weighted_sse, batched=nets.losses.BatchedLoss(
        lambda y, outputs: np.stack([y, 1.0 + 4.0 * y], axis=1), lambda out, tw: (out - tw[0]) ** 2 * tw[1]))
    runs = []
    for compiled in (False, True):
        model = MLP(2, [3, 1], seed=0)
        history = nets.fit(model, X, y, loss=spec, optimizer=optim.SGD(model.parameters(), 0.1), epochs=3,
                           progress=False, compiled=compiled, metrics=())
        runs.append((history["loss"], [p.data for p in model.parameters()]))
    assert_close(runs[1][0], runs[0][0], "losses")
    assert_close(runs[1][1], runs[0][1], "weights")
    assert runs[0][0][0] == pytest.approx(5.7269, abs=1e-4)  # the scalar engine's epoch 1, as the issue measured


def test_model_code_that_compares_values_is_refused_where_it_compares():
    w = Value(0.5)
    with pytest.raises(ValueError, match="compile: a Value is compared \\(<\\) while being traced"):
        autograd.compile(lambda x: x * w if x * w < 1.0 else x, [w], np.array([0.1, 5.0]))
    with pytest.raises(ValueError, match="compared"):
        autograd.compile(lambda x, y: max(x, y), [], np.array([1.0, 2.0]), np.array([2.0, 1.0]))
    assert (Value(1.0) < 2.0) is True  # outside a trace, comparisons work as ever


def test_an_op_of_the_table_without_a_batched_rule_is_named():
    saved = dict(OPS)
    try:
        @autograd.operation("softplus", slopes=["sigmoid({x})"], method=False)
        def softplus(x):
            return math.log1p(math.exp(x)), 1 / (1 + math.exp(-x))

        with pytest.raises(ValueError, match=r"op 'softplus' has no batched rule.*@batched\('softplus'\)"):
            autograd.compile(softplus, [], np.array([1.0]))
    finally:
        OPS.clear()
        OPS.update(saved)


def test_your_own_op_compiles_with_its_batched_rule_and_matches_the_scalar_engine():
    saved = dict(OPS)
    try:
        @autograd.operation("softplus", slopes=["sigmoid({x})"], method=False,
                            batched=lambda x: (np.logaddexp(0.0, x), 1 / (1 + np.exp(-x))))
        def softplus(x):
            return math.log1p(math.exp(x)), 1 / (1 + math.exp(-x))

        @autograd.operation("hypot", slopes=["{a}/{out}", "{b}/{out}"], inputs=("a", "b"), method=False,
                            batched=lambda a, b: (np.hypot(a, b), (a / np.hypot(a, b), b / np.hypot(a, b))))
        def hypot(a, b):
            h = math.hypot(a, b)
            return h, (a / h, b / h)

        w = Value(0.7)
        batch = np.array([[-1.0, 2.0], [0.5, 0.25], [3.0, -4.0]])
        tape = autograd.compile(lambda x: hypot(softplus(x[0] * w), x[1]), [w], batch)
        outs, grads = [], 0.0
        for x in batch.tolist():
            w.grad = 0.0
            out = hypot(softplus(x[0] * w), x[1])
            out.backward()
            outs.append(out.data)
            grads += w.grad
        assert_close(tape.forward(batch)[0], outs, "outputs")
        w.grad = 0.0
        assert_close(tape.backward(), [grads], "gradient")
    finally:
        OPS.clear()
        OPS.update(saved)


def test_a_batched_rule_must_be_a_function():
    with pytest.raises(TypeError, match="operation 'twice': batched must be a function"):
        autograd.operation("twice", slopes=["2"], batched="2*x")


@pytest.mark.parametrize("fn, batch, error, message", [
    (lambda x: x.log(), [1.0, -2.0], ValueError, "log: the result on -2.0 \\(example 1\\) is nan"),
    (lambda x: x.exp(), [1.0, 1000.0], OverflowError, "exp: the result on 1000.0 \\(example 1\\) is inf"),
    (lambda x: 1.0 / x, [1.0, 0.0], OverflowError, "c/: the result on 0.0 and \\[1.0\\] \\(example 1\\) is inf"),
    (lambda x: x.sqrt(), [4.0, 0.0], OverflowError, "sqrt: the slope on 0.0 \\(example 1\\) is inf"),
])
def test_where_the_engine_raises_the_tape_raises_naming_the_op_and_example(fn, batch, error, message):
    tape = autograd.compile(fn, [], np.array(batch[:1]))
    with pytest.raises(error, match=message):
        tape.forward(np.array(batch))


def test_bad_batches_are_refused_with_the_expected_shape():
    tape = autograd.compile(lambda x, t: x[0] * t, [], np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="input 0 must have shape \\(examples, 3\\).*got \\(2, 4\\)"):
        tape.forward(np.zeros((2, 4)), np.zeros(2))
    with pytest.raises(ValueError, match="expected 2 input arrays"):
        tape.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="input 1 holds a value that is not finite: nan"):
        tape.forward(np.zeros((2, 3)), np.array([0.0, math.nan]))


def test_importing_the_engine_does_not_import_numpy():
    code = "import sys, autograd; assert callable(autograd.compile); print('numpy' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"
