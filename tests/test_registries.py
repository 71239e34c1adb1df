"""One registry each for losses, activations, data sets and optimisers: what is registered there
is what `fit`, `threshold_for` and `stepgrad train` offer, with nothing repeated elsewhere."""

from __future__ import annotations

import numpy as np
import pytest

from nets import datasets, losses, optim
from nets.activations import ACTIVATIONS
from nets.cli import build_parser, main
from nets.outputs import threshold_for


@pytest.mark.parametrize(("option", "registry"),
                         [("--loss", losses.LOSSES), ("--activation", ACTIVATIONS), ("--data", datasets.DATASETS),
                          ("--optimizer", optim.OPTIMIZERS)])
def test_the_command_offers_exactly_what_is_registered(option, registry, capsys):
    parser = build_parser()
    for name in registry:
        assert getattr(parser.parse_args(["train", option, name]), option[2:]) == name
    with pytest.raises(SystemExit):
        parser.parse_args(["train", option, "unregistered"])
    assert f"(choose from {', '.join(map(repr, registry))})" in capsys.readouterr().err


@pytest.mark.parametrize(("name", "threshold"), [("bce", 0.5), ("mse", 0.5), ("hinge", 0.0), ("cross_entropy", 0.0)])
def test_threshold_for_reads_the_registry_by_name_or_function(name, threshold):
    assert threshold_for(name) == threshold
    assert threshold_for(losses.LOSSES[name].function) == threshold


def test_a_registered_loss_and_data_set_can_be_trained_on_from_the_command(monkeypatch, capsys):
    def squares(samples: int, seed: int) -> datasets.Split:
        X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
        y = np.array([0, 0, 1, 1])
        return X, y, X, y

    def halved(output, target):
        return losses.mse(output, target) * 0.5

    monkeypatch.setitem(datasets.DATASETS, "squares", datasets.Dataset("x1 alone decides", squares))
    monkeypatch.setitem(losses.LOSSES, "half_mse", losses.LossSpec(halved, threshold=0.25))
    assert threshold_for(halved) == 0.25
    assert main(["train", "--data", "squares", "--loss", "half_mse", "--hidden", "2", "--epochs", "2", "--quiet"]) == 0
    assert "loss half_mse" in capsys.readouterr().out


def test_a_registered_optimiser_is_built_by_the_command_with_its_default_lr(monkeypatch, capsys):
    built = []

    class Halving(optim.SGD):
        """SGD at half the given learning rate (a stand-in for a new optimiser)."""

        def __init__(self, params, lr, *, weight_decay=0.0):
            super().__init__(params, lr / 2, weight_decay=weight_decay)
            built.append(self.lr)

    monkeypatch.setitem(optim.OPTIMIZERS, "halving", optim.Registered(Halving, 0.3))
    assert main(["train", "--data", "xor", "--optimizer", "halving", "--hidden", "2", "--epochs", "1", "--quiet"]) == 0
    assert built == [0.15] and "halving" in capsys.readouterr().out
    assert "halving 0.3" in build_parser()._subparsers._group_actions[0].choices["train"].format_help()
    assert main(["train", "--data", "xor", "--optimizer", "halving", "--momentum", "0.9", "--quiet"]) == 2
    assert "--momentum is for --optimizer sgd; Halving keeps its own momentum" in capsys.readouterr().err


def test_an_unknown_data_set_is_named():
    with pytest.raises(ValueError, match="unknown data set 'cifar10'; choose one of xor, moons"):
        datasets.load("cifar10")


def test_a_registered_activation_without_a_module_is_refused_for_a_cnn(capsys):
    assert main(["train", "--data", "digits", "--model", "cnn", "--activation", "linear", "--quiet"]) == 2
    assert capsys.readouterr().err == ("stepgrad train: error: --model cnn takes --activation "
                                       "relu or leaky_relu or tanh or sigmoid, not linear\n")
