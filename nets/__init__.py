"""stepgrad's network library, built only from autograd Values.

    >>> import nets
    >>> model = nets.MLP(2, [16, 16, 1], activation="relu", seed=0)
    >>> model.num_parameters()
    337
"""

from . import activations, data, init, losses, optim, plot
from .conv import AvgPool2d, Conv2d, MaxPool2d
from .layers import Flatten, LeakyReLU, Linear, ReLU, Sigmoid, Tanh
from .module import MLP, Dropout, Layer, Module, Neuron
from .normalization import BatchNorm1d
from .recurrent import RNN, RNNCell, RNNModel, Steps
from .sequential import Sequential
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
    "Linear",
    "ReLU",
    "LeakyReLU",
    "Tanh",
    "Sigmoid",
    "Flatten",
    "Sequential",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
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
