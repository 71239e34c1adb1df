"""fit: learning XOR, moons and digits; History; divergence detection; reproducibility."""

import gc
import io
import math

import numpy as np
import pytest
from matplotlib.figure import Figure

import nets
from autograd import Value
from nets import MLP, DivergenceError, data, evaluate, fit, optim, predict
from nets.callbacks import redraws_in_place


def _train_xor(model, epochs=300):
    X, y = data.xor()
    fit(model, X, y, loss="bce", optimizer=optim.Adam(model.parameters(), lr=0.1), epochs=epochs, progress=False)
    return evaluate(model, X, y, loss="bce")[1]


def test_a_hidden_layer_learns_xor_for_at_least_4_of_5_seeds():
    accuracies = [_train_xor(MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=s)) for s in range(5)]
    assert sum(a == 1.0 for a in accuracies) >= 4, accuracies


def test_a_single_neuron_cannot_learn_xor():
    """One logistic unit draws one straight line, and no line separates XOR's classes."""
    for seed in range(3):
        assert _train_xor(MLP(2, [1], output_activation="sigmoid", seed=seed)) <= 0.75


@pytest.mark.slow
def test_moons_reaches_97_percent_on_held_out_points():
    X, y = data.moons(n=100, noise=0.1, seed=0)
    X_test, y_test = data.moons(n=500, noise=0.1, seed=2)
    model = MLP(2, [16, 16, 1], activation="relu", seed=0)
    sgd = optim.SGD(model.parameters(), lr=1.0, weight_decay=2e-4)
    fit(model, X, y, loss="hinge", optimizer=sgd, epochs=100, progress=False, schedule=optim.LinearDecay(sgd, 0.1, 100))
    assert evaluate(model, X_test, y_test, loss="hinge")[1] >= 0.97


@pytest.mark.slow
def test_digits_mlp_reaches_93_percent_on_the_test_split():
    """A reduced schedule (5 epochs); the full 20-epoch run is in the README."""
    X, y = data.digits("train")
    X_test, y_test = data.digits("test")
    model = MLP(64, [16, 16, 10], activation="relu", seed=0)
    fit(model, X, y, loss="cross_entropy", optimizer=optim.Adam(model.parameters(), lr=0.01), epochs=5,
        batch_size=32, seed=0, progress=False)
    assert evaluate(model, X_test, y_test, loss="cross_entropy")[1] >= 0.93


def test_history_records_loss_and_metrics_per_epoch_and_plots():
    X, y = data.moons(n=40, seed=0)
    model = MLP(2, [4, 1], seed=0)
    history = fit(model, X, y, loss="hinge", optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=3,
                  batch_size=16, validation_data=data.moons(n=20, seed=1), progress=False)
    assert isinstance(history, nets.History) and history.epochs == 3
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 3 for v in history.history.values())
    assert all(0 <= a <= 1 for a in history["accuracy"] + history["val_accuracy"])
    assert isinstance(history.plot(), Figure)


def test_training_is_reproducible_with_a_seed():
    def run():
        X, y = data.moons(n=40, seed=0)
        model = MLP(2, [4, 1], seed=0)
        fit(model, X, y, loss="hinge", optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=2, batch_size=8,
            seed=5, progress=False)
        return model.state_dict()

    assert run() == run()


def test_progress_bar_shows_loss_and_can_be_switched_off(capsys):
    X, y = data.xor()
    model = MLP(2, [2, 1], seed=0)
    fit(model, X, y, loss="mse", optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=2, progress=False)
    assert capsys.readouterr().err == ""
    fit(model, X, y, loss="mse", optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=2)
    err = capsys.readouterr().err
    assert "2/2" in err and "loss" in err and "accuracy" in err
    # not a terminal (a log file, a pipe): a line per epoch, no carriage returns
    assert "\r" not in err and err.splitlines()[0].startswith("epoch 1/2 loss=") and len(err.splitlines()) == 2


def test_on_a_terminal_the_progress_bar_redraws_in_place():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert redraws_in_place(Terminal()) and not redraws_in_place(io.StringIO())


def test_infinite_loss_stops_training_naming_epoch_and_batch():
    X, y = data.moons(n=20, seed=0)
    model = MLP(2, [3, 1], seed=0)
    calls = []

    def explodes_later(out, t):  # finite for the first batch, infinite from the second
        calls.append(1)
        return (out * out + 1.0) * (1e200 if len(calls) > 10 else 1.0) * 1e200

    with pytest.raises(DivergenceError, match=r"epoch 1, batch 2: the forward pass overflowed \(\*: the result of \*"):
        fit(model, X, y, loss=explodes_later, optimizer=optim.SGD(model.parameters(), lr=0.0), epochs=1,
            batch_size=10, progress=False)


def test_a_batch_loss_that_overflows_stops_training_naming_epoch_and_batch():
    X, y = data.moons(n=20, seed=0)
    model = MLP(2, [3, 1], seed=0)

    def huge(out, t):  # each example's loss is finite, about 1e308; ten of them are not
        return (out.tanh() * 0.5 + 1.0) * 1e308

    with pytest.raises(DivergenceError, match=r"epoch 1, batch 1: the forward pass overflowed \(sum: the total is inf"):
        fit(model, X, y, loss=huge, optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=1,
            batch_size=10, progress=False)


def test_a_non_finite_gradient_stops_training_before_the_step():
    """The loss is finite (|sin| * 1e300 <= 1e300) but backward multiplies 1e300 by 1e10: inf."""
    X, y = data.moons(n=20, seed=0)
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(DivergenceError, match=r"epoch 1, batch 1: a gradient is not finite"):
        fit(model, X, y, loss=lambda out, t: (out * 1e10).sin() * 1e300,
            optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=1, batch_size=10, progress=False)
    assert model.state_dict() == before


def test_overflow_in_the_forward_pass_stops_training_naming_epoch_and_batch():
    X, y = np.array([[1.0, 1.0]]), np.array([1.0])
    model = MLP(2, [1], seed=0)
    model.parameters()[0].data = 1e200
    with pytest.raises(DivergenceError, match=r"epoch 1, batch 1: the forward pass overflowed \(pow"):
        fit(model, X, y, loss="mse", optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=1, progress=False)


def test_overflow_in_validation_stops_training_saying_it_once():
    model = MLP(2, [1], activation="linear", seed=0)
    for p in model.parameters():
        p.data = 1.0
    X, y = np.array([[0.5, 0.5]]), np.array([1.0])
    with pytest.raises(DivergenceError) as caught:
        fit(model, X, y, loss="mse", optimizer=optim.SGD(model.parameters(), lr=0.0), epochs=1, progress=False,
            validation_data=(np.array([[1e308, 1e308]]), np.array([1.0])))
    message = str(caught.value)
    assert message.startswith("training diverged at epoch 1, validation: the forward pass overflowed (")
    assert message.count("the forward pass overflowed") == 1 and "largest weight is 1" in message


def test_a_too_large_learning_rate_is_caught_not_trained_on():
    X, y = data.moons(n=50, seed=0)
    model = MLP(2, [8, 1], activation="linear", seed=0)
    with pytest.raises(DivergenceError, match=r"training diverged at epoch \d+, batch 1"):
        fit(model, X, y, loss="mse", optimizer=optim.SGD(model.parameters(), lr=50.0), epochs=200, progress=False)
    assert all(math.isfinite(p.data) for p in model.parameters())


def test_predict_uses_argmax_or_threshold():
    class Fixed(nets.Module):
        def __init__(self, outputs):
            self.outputs = outputs

        def __call__(self, x):
            return self.outputs(x)

    assert predict(Fixed(lambda x: [Value(x[0]), Value(x[1])]), [[0.0, 1.0], [2.0, 1.0]]) == [1, 0]
    assert predict(Fixed(lambda x: Value(x[0])), [[0.4], [0.6]], threshold=0.5) == [0, 1]


def _one_weight_model(output_activation=None):
    """out = activation(x): X = [[-1], [1]] scores -1 and +1, the right classes for y = [0, 1]."""
    model = MLP(1, [1], output_activation=output_activation, seed=0)
    model.parameters()[0].data = 1.0
    return model


@pytest.mark.parametrize(("loss", "output_activation", "y"), [
    (nets.losses.binary_cross_entropy, "sigmoid", [0, 1]),  # a built-in loss passed as a function
    (nets.losses.mse, "sigmoid", [0, 1]),
    ("hinge", None, [-1, 1]),  # hinge's -1/+1 labels: -1 is class 0
    (nets.losses.hinge, None, [-1, 1]),
])
def test_accuracy_uses_the_right_threshold_and_labels(loss, output_activation, y):
    X = [[-1.0], [1.0]]
    model = _one_weight_model(output_activation)
    assert evaluate(model, X, y, loss=loss)[1] == 1.0
    history = fit(model, X, y, loss=loss, optimizer=optim.SGD(model.parameters(), lr=1e-9), epochs=1, progress=False)
    assert history["accuracy"] == [1.0]


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"loss": "l1"}, "unknown loss 'l1'"),
    ({"epochs": 0}, "epochs must be a positive integer, got 0"),
    ({"metrics": ("f1",)}, "unknown metric 'f1'"),
    ({"batch_size": -2}, "batch_size must be a positive integer"),
])
def test_bad_fit_arguments_are_clear_errors(kwargs, match):
    X, y = data.xor()
    model = MLP(2, [2, 1], seed=0)
    args = {"loss": "mse", "optimizer": optim.SGD(model.parameters(), lr=0.1), "epochs": 1, "progress": False}
    with pytest.raises(ValueError, match=match):
        fit(model, X, y, **{**args, **kwargs})


def test_fit_leaves_the_garbage_collector_as_it_found_it():
    X, y = data.xor()
    model = MLP(2, [2, 1], seed=0)
    fit(model, X, y, loss="mse", optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=1, progress=False)
    assert gc.isenabled()
    with pytest.raises(DivergenceError):
        fit(model, X, y, loss=lambda out, t: (out * out + 1) * 1e200 * 1e200,
            optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=1, progress=False)
    assert gc.isenabled()


def test_a_1d_x_or_an_empty_x_is_a_clear_error():
    model = MLP(1, [1], seed=0)
    with pytest.raises(ValueError, match=r"fit: X must be 2-D .*got shape \(3,\)"):
        fit(model, [0.0, 1.0, 2.0], [0, 1, 1], loss="hinge", optimizer=optim.SGD(model.parameters(), lr=0.1),
            epochs=1, progress=False)
    with pytest.raises(ValueError, match="evaluate: X has 0 rows and y 0 targets"):
        evaluate(model, np.zeros((0, 1)), [], loss="hinge")


def test_loss_grad_norms_gives_one_norm_per_layer_and_leaves_grads_zero():
    X, y = data.moons(n=30, seed=0)
    model = MLP(2, [4, 3, 1], seed=0)
    norms = nets.plot.loss_grad_norms(model, X, y, "hinge")
    assert len(norms) == 3 and all(isinstance(n, float) and n >= 0 for n in norms) and max(norms) > 0
    assert all(p.grad == 0 for p in model.parameters())
