"""stepgrad's network library, built only from autograd Values.

    >>> import nets
    >>> model = nets.MLP(2, [16, 16, 1], activation="relu", seed=0)
    >>> model.num_parameters()
    337
"""

from . import activations, data, init, losses, optim, plot
from .module import MLP, Dropout, Layer, Module, Neuron
from .normalization import BatchNorm1d
from .recurrent import RNN, RNNCell, RNNModel, Steps
from .serialize import load
from .training import DivergenceError, History, evaluate, fit, predict

__all__ = [
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "Dropout",
    "RNNCell",
    "RNN",
    "RNNModel",
    "Steps",
    "BatchNorm1d",
    "fit",
    "evaluate",
    "predict",
    "History",
    "DivergenceError",
    "load",
    "activations",
    "data",
    "init",
    "losses",
    "optim",
    "plot",
]
