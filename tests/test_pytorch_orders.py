"""Where a name is PyTorch's, a positional argument means what it means in PyTorch, or it is keyword-only."""

import pytest

from autograd import Value
from nets import BatchNorm1d, Conv2d, Linear, RNN, RNNCell, optim
from nets.gated import GRUCell, LSTMCell
from nets.recurrent import GRU, LSTM


def test_batchnorm1d_is_num_features_eps_momentum():
    bn = BatchNorm1d(8, 0.01, 0.2)  # torch.nn.BatchNorm1d(num_features, eps, momentum)
    assert (bn.eps, bn.momentum) == (0.01, 0.2)


@pytest.mark.parametrize("make", [
    lambda: optim.SGD([Value(0.0)], 0.1, 0.9, 0.5),  # torch: dampening
    lambda: Conv2d(1, 2, 3, 1, 0, 0),  # torch: dilation
    lambda: RNNCell(2, 3, False),  # torch: bias
    lambda: RNN(2, 3, "relu"),  # torch: num_layers
    lambda: GRUCell(2, 3, None),  # torch: bias
    lambda: LSTMCell(2, 3, None),
    lambda: GRU(2, 3, None),
    lambda: LSTM(2, 3, None),
    lambda: Linear(2, 3, False),  # torch: bias
])
def test_arguments_that_would_mean_something_else_are_keyword_only(make):
    with pytest.raises(TypeError, match="positional argument"):
        make()


def test_the_keyword_forms_work():
    assert RNNCell(2, 3, activation=None).activation == "linear"
    assert Conv2d(1, 2, 3, 1, 1, seed=0).padding == 1
    assert Linear(2, 3, init="xavier_uniform", seed=0).nout == 3
    assert optim.SGD([Value(0.0)], 0.1, 0.9, weight_decay=0.5).weight_decay == 0.5
