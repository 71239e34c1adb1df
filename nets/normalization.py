"""Batch normalisation (Ioffe & Szegedy, 2015): each feature rescaled to mean 0, variance 1.

In training, every feature is normalised with the mean and variance of the current batch,

    y = gamma * (x - mean) / sqrt(var + eps) + beta,

so the examples of a batch are coupled: each output depends on every input of the batch,
and the gradient flows through the mean and the variance too.  gamma and beta are learned,
so the network can undo the normalisation where it helps.  The batch statistics are also
folded into running averages, which replace them in eval mode, when examples come one at a
time.  The names and defaults are PyTorch's.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import autograd
from autograd import Value
from autograd.value import Message

from .module import Module, sizes


class BatchNorm1d(Module):
    """Normalise each of `num_features` over the batch, then scale by `weight` and shift by `bias`.

    `forward_batch(xs)` normalises with the batch's statistics in training and updates
    `running_mean` and `running_var` (running = (1 - momentum) * running + momentum * batch;
    the variance unbiased, as PyTorch's); in eval mode each example is normalised with the
    running statistics, and `bn(x)` works on one example.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features < 1:
            raise ValueError(Message("BatchNorm1d: num_features must be a positive integer, got {num_features!r}",
                                     num_features=num_features))
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(Message("BatchNorm1d: momentum must be in [0, 1], got {momentum!r}", momentum=momentum))
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not (math.isfinite(eps) and eps >= 0):
            raise ValueError(Message("BatchNorm1d: eps must be a non-negative number, got {eps!r}", eps=eps))
        self.num_features = num_features
        self.momentum = float(momentum)
        self.eps = float(eps)
        self.weight = [Value(1.0, label="gamma") for _ in range(num_features)]
        self.bias = [Value(0.0, label="beta") for _ in range(num_features)]
        self.running_mean = [Value(0.0, label="running_mean") for _ in range(num_features)]
        self.running_var = [Value(1.0, label="running_var") for _ in range(num_features)]

    def forward_batch(self, xs: Sequence) -> list[list[Value]]:
        """Normalise every feature over the batch `xs` (training) or by the running statistics (eval)."""
        if not self.training:
            return [self(x) for x in xs]
        rows = [self._row(x) for x in xs]
        n = len(rows)
        if n < 2:
            raise ValueError(Message("BatchNorm1d: a batch of {n} example(s) in training mode has no variance to normalise "
                                     "by; train on batches of at least 2, or call eval() first", n=n))
        m, columns = self.momentum, []
        for column, gamma, beta, mean_j, var_j in zip(zip(*rows), self.weight, self.bias,
                                                      self.running_mean, self.running_var):
            mean = autograd.sum(column) * (1.0 / n)
            centred = [x - mean for x in column]
            var = autograd.sum(c * c for c in centred) * (1.0 / n)  # biased, as in the paper
            scale = gamma * (var + self.eps) ** -0.5
            columns.append([c * scale + beta for c in centred])
            mean_j.data = (1 - m) * mean_j.data + m * mean.data
            var_j.data = (1 - m) * var_j.data + m * var.data * n / (n - 1)
        return [list(row) for row in zip(*columns)]

    def __call__(self, x: Sequence) -> list[Value]:
        """One example, normalised by the running statistics (eval mode only)."""
        if self.training:
            raise ValueError(Message("BatchNorm1d: in training mode it normalises over a batch: call forward_batch(xs) "
                                     "(fit does), or eval() first to use the running statistics"))
        row = self._row(x)
        if not all(var.data + self.eps > 0 for var in self.running_var):
            raise ValueError(Message("BatchNorm1d: running_var + eps must be positive to normalise by, got {var} + {eps}",
                                     var=[var.data for var in self.running_var], eps=self.eps))
        return [(xi - mean.data) * (gamma * (1.0 / math.sqrt(var.data + self.eps))) + beta
                for xi, gamma, beta, mean, var in zip(row, self.weight, self.bias, self.running_mean, self.running_var)]

    def _row(self, x: Sequence) -> list:
        row = x.tolist() if hasattr(x, "tolist") else list(x)
        if len(row) != self.num_features:
            raise ValueError(Message("BatchNorm1d: expected {num_features} features, got {got}", num_features=self.num_features,
                                     got=len(row)))
        return row

    def own_parameters(self) -> list[tuple[str, Value]]:
        return [(f"weight.{i}", w) for i, w in enumerate(self.weight)] + [(f"bias.{i}", b) for i, b in enumerate(self.bias)]

    def own_buffers(self) -> list[tuple[str, Value]]:
        return ([(f"running_mean.{i}", v) for i, v in enumerate(self.running_mean)]
                + [(f"running_var.{i}", v) for i, v in enumerate(self.running_var)])

    def load_state_dict(self, state: dict[str, float]) -> None:
        """As `Module.load_state_dict`, refusing a negative running variance (nothing is set then)."""
        bad = next((name for name, value in state.items() if name.startswith("running_var.")
                    and isinstance(value, (int, float)) and value < 0), None)
        if bad is not None:
            raise ValueError(Message("load_state_dict: {name} must be a variance, >= 0, got {value!r}", name=bad, value=state[bad]))
        super().load_state_dict(state)

    def config(self) -> dict[str, Any]:
        return {"num_features": self.num_features, "momentum": self.momentum, "eps": self.eps}

    @classmethod
    def parameter_count(cls, config: dict[str, Any]) -> int | None:
        """`weight` and `bias` per feature (the running statistics are buffers, not parameters)."""
        n = sizes(config.get("num_features"))
        return None if n is None else 2 * n[0]

    def replay_problem(self) -> str | None:
        return Message("couples the examples of a batch") if self.training else None

    def __repr__(self) -> str:
        return f"BatchNorm1d({self.num_features}, momentum={self.momentum}, eps={self.eps})"
