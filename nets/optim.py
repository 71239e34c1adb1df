"""Optimisers and gradient tools: turning gradients into parameter updates.

After `loss.backward()` each parameter's `grad` points uphill; an optimiser moves `data`
a step the other way.  Updates change plain floats, so they build no graph.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence, TypeVar

from autograd import Value
from autograd.value import Message

from .dense import Neuron
from .module import Module, frozen_parameters

Number = TypeVar("Number")  # a float, or a NumPy array of them (the compiled trainer's parameters)


class Optimizer:
    """Holds the parameters and learning rate; subclasses define `step()`."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(Message("{who}: params is empty; pass model.parameters()", who=type(self).__name__))
        self.lr = non_negative(lr, type(self).__name__, "lr")

    def zero_grad(self) -> None:
        """Reset every gradient to 0: `backward()` adds, so stale gradients would pile up."""
        for p in self.params:
            p.grad = 0.0

    # The names of the per-parameter state lists, in the order `update(p, g, *state)` takes them:
    # compiled training keeps them as NumPy vectors for a whole `fit` and writes them back.
    state: tuple[str, ...] = ()

    def step(self) -> None:
        raise NotImplementedError

    def advance(self) -> None:
        """What `step()` does once before updating the parameters (Adam counts its steps)."""

    def trainable(self) -> Iterator[tuple[int, Value]]:
        """(index, parameter) for each parameter to update: frozen modules' parameters are skipped."""
        frozen = frozen_parameters()
        return ((i, p) for i, p in enumerate(self.params) if p not in frozen)


class SGD(Optimizer):
    """Gradient descent: p -= lr * g, optionally with momentum and weight decay (torch.optim.SGD's
    algorithm without dampening and Nesterov; its options after `momentum` are keyword-only).

    Momentum keeps a running velocity v = momentum * v + g and steps along v, which
    smooths zig-zags and speeds up along consistent directions.  Weight decay adds
    weight_decay * p to g: the gradient of (weight_decay / 2) * p^2.
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0, *, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = _fraction(momentum, "SGD", "momentum")
        self.weight_decay = non_negative(weight_decay, "SGD", "weight_decay")
        self.velocity = [0.0] * len(self.params)

    state = ("velocity",)

    def step(self) -> None:
        v = self.velocity
        for i, p in self.trainable():
            p.data, v[i] = self.update(p.data, p.grad, v[i])

    def update(self, p: Number, g: Number, velocity: Number) -> tuple[Number, Number]:
        """One step for a parameter p with gradient g, or for NumPy arrays of them: (new p, new velocity)."""
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            velocity = g = self.momentum * velocity + g
        return p - self.lr * g, velocity


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), exactly as `torch.optim.Adam` documents it: momentum plus a
    per-parameter step size.

    m tracks the mean gradient and v the mean squared gradient; dividing by sqrt(v) gives
    every parameter a step of roughly lr, whatever its gradient's scale.  m and v start at
    zero, so each is divided by 1 - beta**t (bias correction) before use, and eps is added
    after that, to sqrt(v_hat).  `weight_decay` adds weight_decay * p to the gradient (L2,
    as torch's Adam); for decay kept out of m and v use `AdamW`.
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
        who = type(self).__name__
        self.beta1 = _fraction(betas[0], who, "betas[0]")
        self.beta2 = _fraction(betas[1], who, "betas[1]")
        self.eps = non_negative(eps, who, "eps")
        self.weight_decay = non_negative(weight_decay, who, "weight_decay")
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)
        self.t = 0  # steps taken: the t of the bias correction

    state = ("m", "v")

    def advance(self) -> None:
        self.t += 1

    def step(self) -> None:
        self.advance()
        m, v = self.m, self.v
        for i, p in self.trainable():
            p.data, m[i], v[i] = self.update(p.data, p.grad, m[i], v[i])

    def update(self, p: Number, g: Number, m: Number, v: Number) -> tuple[Number, Number, Number]:
        """Step `self.t` for a parameter p with gradient g, or for NumPy arrays of them: (new p, m, v)."""
        if self.weight_decay:
            g = g + self.weight_decay * p
        return self.adam(p, g, m, v)

    def adam(self, p: Number, g: Number, m: Number, v: Number) -> tuple[Number, Number, Number]:
        """The moments and the step of torch's algorithm, on a gradient that already holds any L2 term."""
        b1, b2 = self.beta1, self.beta2
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**self.t)
        v_hat = v / (1 - b2**self.t)
        return p - self.lr * m_hat / (v_hat**0.5 + self.eps), m, v


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as `torch.optim.AdamW`:
    each step first shrinks p by lr * weight_decay * p, outside m and v, then takes Adam's step.

    With L2 (Adam's `weight_decay`) a large gradient history also dampens the decay;
    decoupled, every weight decays at the same rate.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)

    def update(self, p: Number, g: Number, m: Number, v: Number) -> tuple[Number, Number, Number]:
        return self.adam(p * (1 - self.lr * self.weight_decay), g, m, v)


@dataclass(frozen=True)
class Registered:
    """An optimiser as the command line offers it: its class and its default learning rate."""

    make: type[Optimizer]
    lr: float


# The optimisers by name: `stepgrad train --optimizer` offers and builds these.  A new
# optimiser is its class above plus one line here.
OPTIMIZERS: dict[str, Registered] = {
    "sgd": Registered(SGD, 0.1),
    "adam": Registered(Adam, 0.01),
    "adamw": Registered(AdamW, 0.01),
}


class LinearDecay:
    """Learning-rate schedule: from the optimiser's lr down to `final_lr` over `steps` calls to `step()`.

    Big steps early cover ground; small steps late settle into a minimum.  micrograd's
    demo uses lr = 1.0 falling to 0.1.
    """

    def __init__(self, optimizer: Optimizer, final_lr: float, steps: int) -> None:
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(Message("LinearDecay: steps must be a positive integer, got {steps!r}", steps=steps))
        self.optimizer = optimizer
        self.initial_lr = optimizer.lr
        self.final_lr = non_negative(final_lr, "LinearDecay", "final_lr")
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
    max_norm = non_negative(max_norm, "clip_grad_norm", "max_norm")
    bad = next((p for p in params if not math.isfinite(p.grad)), None)
    if bad is not None:
        raise ValueError(Message("clip_grad_norm: a gradient is {grad!r}; clipping cannot give it a direction", grad=bad.grad))
    norm = grad_norm(params)
    if norm > max_norm:
        largest = max(abs(p.grad) for p in params)  # divide by it first, so the norm is finite
        scale = max_norm / math.hypot(*(p.grad / largest for p in params))
        for p in params:
            p.grad = p.grad / largest * scale
    return norm


def clip_grad_value(params: Iterable[Value], clip_value: float) -> None:
    """Clamp each gradient into [-clip_value, clip_value] (cruder: it can change the direction)."""
    c = non_negative(clip_value, "clip_grad_value", "clip_value")
    for p in params:
        p.grad = max(-c, min(c, p.grad))


def max_norm_constraint(model: Module, max_norm: float) -> None:
    """Rescale each neuron's incoming weights to length at most `max_norm` (call after `step()`).

    A constraint on the weights themselves, not the gradients; often used with dropout.
    Frozen neurons are left alone.
    """
    c = non_negative(max_norm, "max_norm_constraint", "max_norm")
    for module in model.modules():
        if isinstance(module, Neuron) and module.requires_grad:
            _rescale(module.w, c)


def _rescale(weights: Sequence[Value], max_norm: float) -> None:
    norm = math.sqrt(math.fsum(w.data * w.data for w in weights))
    if norm > max_norm:
        for w in weights:
            w.data *= max_norm / norm


def non_negative(x: object, who: str, what: str) -> float:
    """`x` as a float, or a ValueError naming `who` and `what` if it is not a finite number >= 0."""
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) or x < 0:
        raise ValueError(Message("{who}: {what} must be a non-negative number, got {x!r}", who=who, what=what, x=x))
    return float(x)


def _fraction(x: object, who: str, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not 0 <= x < 1:
        raise ValueError(Message("{who}: {what} must be in [0, 1), got {x!r}", who=who, what=what, x=x))
    return float(x)
