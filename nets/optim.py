"""Optimisers and gradient tools: turning gradients into parameter updates.

After `loss.backward()` each parameter's `grad` points uphill; an optimiser moves `data`
a step the other way.  Updates change plain floats, so they build no graph.
"""

from __future__ import annotations

import math
from typing import Iterable, Iterator, Sequence

from autograd import Value

from .module import Module, Neuron, frozen_parameters


class Optimizer:
    """Holds the parameters and learning rate; subclasses define `step()`."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: params is empty; pass model.parameters()")
        self.lr = _non_negative(lr, type(self).__name__, "lr")

    def zero_grad(self) -> None:
        """Reset every gradient to 0: `backward()` adds, so stale gradients would pile up."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        raise NotImplementedError

    def trainable(self) -> Iterator[tuple[int, Value]]:
        """(index, parameter) for each parameter to update: frozen modules' parameters are skipped."""
        frozen = frozen_parameters()
        return ((i, p) for i, p in enumerate(self.params) if p not in frozen)


class SGD(Optimizer):
    """Gradient descent: p -= lr * g, optionally with momentum and weight decay.

    Momentum keeps a running velocity v = momentum * v + g and steps along v, which
    smooths zig-zags and speeds up along consistent directions.  Weight decay adds
    weight_decay * p to g: the gradient of (weight_decay / 2) * p^2.
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = _fraction(momentum, "SGD", "momentum")
        self.weight_decay = _non_negative(weight_decay, "SGD", "weight_decay")
        self.velocity = [0.0] * len(self.params)

    def step(self) -> None:
        lr, mu, wd, v = self.lr, self.momentum, self.weight_decay, self.velocity
        for i, p in self.trainable():
            g = p.grad + wd * p.data
            if mu:
                v[i] = g = mu * v[i] + g
            p.data -= lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): momentum plus a per-parameter step size.

    m tracks the mean gradient and s the mean squared gradient; dividing by sqrt(s)
    gives every parameter a step of roughly lr, whatever its gradient's scale.  The
    1 - beta**t factors correct m and s for starting at zero.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.beta1 = _fraction(betas[0], "Adam", "betas[0]")
        self.beta2 = _fraction(betas[1], "Adam", "betas[1]")
        self.eps = _non_negative(eps, "Adam", "eps")
        self.weight_decay = _non_negative(weight_decay, "Adam", "weight_decay")
        self.m = [0.0] * len(self.params)
        self.s = [0.0] * len(self.params)
        self.t = 0

    def step(self) -> None:
        self.t += 1
        b1, b2, wd, m, s = self.beta1, self.beta2, self.weight_decay, self.m, self.s
        lr = self.lr * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        for i, p in self.trainable():
            g = p.grad + wd * p.data
            m[i] = b1 * m[i] + (1 - b1) * g
            s[i] = b2 * s[i] + (1 - b2) * g * g
            p.data -= lr * m[i] / (math.sqrt(s[i]) + self.eps)


class LinearDecay:
    """Learning-rate schedule: from the optimiser's lr down to `final_lr` over `steps` calls to `step()`.

    Big steps early cover ground; small steps late settle into a minimum.  micrograd's
    demo uses lr = 1.0 falling to 0.1.
    """

    def __init__(self, optimizer: Optimizer, final_lr: float, steps: int) -> None:
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"LinearDecay: steps must be a positive integer, got {steps!r}")
        self.optimizer = optimizer
        self.initial_lr = optimizer.lr
        self.final_lr = _non_negative(final_lr, "LinearDecay", "final_lr")
        self.steps = steps
        self.count = 0

    def step(self) -> None:
        """Advance one step (call once per epoch) and set the optimiser's lr."""
        self.count = min(self.count + 1, self.steps)
        fraction = self.count / self.steps
        self.optimizer.lr = self.initial_lr + (self.final_lr - self.initial_lr) * fraction


def grad_norm(params: Iterable[Value]) -> float:
    """The length of the whole gradient vector, sqrt(sum g^2) (math.hypot: no overflow on the way)."""
    return math.hypot(*(p.grad for p in params))


def clip_grad_norm(params: Iterable[Value], max_norm: float) -> float:
    """Scale all gradients down together so their total length is at most `max_norm`.

    Keeps the direction and caps the step: the standard cure for exploding gradients.
    Returns the norm before clipping.  A gradient that is not finite is refused (clipping
    would turn it into NaN and the others into zeros); grads too large to square are fine.
    """
    params = list(params)
    max_norm = _non_negative(max_norm, "clip_grad_norm", "max_norm")
    bad = next((p for p in params if not math.isfinite(p.grad)), None)
    if bad is not None:
        raise ValueError(f"clip_grad_norm: a gradient is {bad.grad!r}; clipping cannot give it a direction")
    norm = grad_norm(params)
    if norm > max_norm:
        largest = max(abs(p.grad) for p in params)  # divide by it first, so the norm is finite
        scale = max_norm / math.hypot(*(p.grad / largest for p in params))
        for p in params:
            p.grad = p.grad / largest * scale
    return norm


def clip_grad_value(params: Iterable[Value], clip_value: float) -> None:
    """Clamp each gradient into [-clip_value, clip_value] (cruder: it can change the direction)."""
    c = _non_negative(clip_value, "clip_grad_value", "clip_value")
    for p in params:
        p.grad = max(-c, min(c, p.grad))


def max_norm_constraint(model: Module, max_norm: float) -> None:
    """Rescale each neuron's incoming weights to length at most `max_norm` (call after `step()`).

    A constraint on the weights themselves, not the gradients; often used with dropout.
    Frozen neurons are left alone.
    """
    c = _non_negative(max_norm, "max_norm_constraint", "max_norm")
    for module in model.modules():
        if isinstance(module, Neuron) and module.requires_grad:
            _rescale(module.w, c)


def _rescale(weights: Sequence[Value], max_norm: float) -> None:
    norm = math.sqrt(math.fsum(w.data * w.data for w in weights))
    if norm > max_norm:
        for w in weights:
            w.data *= max_norm / norm


def _non_negative(x: object, who: str, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) or x < 0:
        raise ValueError(f"{who}: {what} must be a non-negative number, got {x!r}")
    return float(x)


def _fraction(x: object, who: str, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not 0 <= x < 1:
        raise ValueError(f"{who}: {what} must be in [0, 1), got {x!r}")
    return float(x)
