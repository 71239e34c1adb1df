"""`Module`: what every network part is (parameters and children by name, training mode,
freezing, state_dict), and the small helpers the parts share.

Every parameter is a leaf `Value`, so `loss.backward()` fills in `p.grad` for each one and
an optimiser can nudge `p.data` downhill.  The interface follows PyTorch's names.  A new
kind of module is one file (a subclass with `own_parameters`, `children`, `config`,
`parameter_count` and `__call__`) plus one line in `nets.EXPORTS`, the package's name
table, through which saving and loading find it.
"""

from __future__ import annotations

import math
import numbers
import random
import weakref
from typing import Any, Callable, ClassVar, Iterator, Sequence, Union

from autograd import Value
from autograd.value import Message

Input = Union[Value, float, int]
Seed = Union[int, random.Random, None]


class Module:
    """Something with parameters: each subclass lists its own and its child modules."""

    training: bool = True
    requires_grad: bool = True  # False: optimisers leave this module's own parameters alone

    def forward_batch(self, xs: Sequence) -> list:
        """The outputs for a batch of examples, in order: `fit` calls this.

        By default each example goes through on its own, `[self(x) for x in xs]`; a module
        whose examples interact in training (BatchNorm1d) overrides it.
        """
        return [self(x) for x in xs]  # type: ignore[operator]

    def own_parameters(self) -> list[tuple[str, Value]]:
        """The parameters that belong to this module itself, by name."""
        return []

    def own_buffers(self) -> list[tuple[str, Value]]:
        """State that is saved with the module but not trained (BatchNorm's running statistics)."""
        return []

    def children(self) -> list[tuple[str, Module]]:
        """The modules directly inside this one, by name."""
        return []

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter, named by its path ("layers.0.neurons.3.w1"), in a fixed order."""
        return _named(self, lambda module: module.own_parameters())

    def named_buffers(self) -> list[tuple[str, Value]]:
        """Every buffer, named by its path ("norms.0.running_mean.2")."""
        return _named(self, lambda module: module.own_buffers())

    def parameters(self) -> list[Value]:
        """Every parameter, in the order of `named_parameters` (without building the names)."""
        return [p for module in self.modules() for _, p in module.own_parameters()]

    def num_parameters(self) -> int:
        return len(self.named_parameters())

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it."""
        yield self
        for _, child in self.children():
            yield from child.modules()

    def zero_grad(self) -> None:
        """Reset every gradient: `backward()` adds to grads, so do this before each step."""
        for p in self.parameters():
            p.grad = 0.0

    def train(self, mode: bool = True) -> Module:
        """Training mode (Dropout drops); `eval()` switches it off."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze this module and every module inside it, as in PyTorch.

        Optimisers skip a frozen module's parameters, so `fit` leaves them bit-for-bit
        unchanged (gradients still flow through them to the layers below).
        """
        if not isinstance(requires_grad, bool):
            raise TypeError(Message("requires_grad_: expected True or False, got {requires_grad!r}", requires_grad=requires_grad))
        for module in self.modules():
            module.requires_grad = requires_grad
            if requires_grad:
                _frozen.discard(module)
            else:
                _frozen.add(module)
        return self

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A copy (pickle, deepcopy) of a frozen module is frozen too."""
        self.__dict__.update(state)
        if not self.requires_grad:
            _frozen.add(self)

    def state_dict(self) -> dict[str, float]:
        """Every parameter's and buffer's current value, by name: what `save` writes."""
        return {name: p.data for name, p in self.named_parameters() + self.named_buffers()}

    def load_state_dict(self, state: dict[str, float]) -> None:
        """Set every parameter and buffer from `state`, which must name exactly this module's."""
        named = dict(self.named_parameters() + self.named_buffers())
        missing = [name for name in named if name not in state]
        unexpected = [name for name in state if name not in named]
        if missing or unexpected:
            raise ValueError(Message("load_state_dict: parameters do not match {kind} ({expected} expected): missing "
                                     "{missing}, unexpected {unexpected}", kind=type(self).__name__, expected=len(named),
                                     missing=_few(missing), unexpected=_few(unexpected)))
        for name, value in state.items():
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
                raise ValueError(Message("load_state_dict: parameter {name!r} must be a finite number, got {value!r}",
                                         name=name, value=value))
        for name, p in named.items():
            p.data = float(state[name])

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this module's architecture (for `save`)."""
        raise TypeError(Message("{kind} does not describe its architecture, so it cannot be saved", kind=type(self).__name__))

    # A kind that can be saved defines the classmethod `parameter_count(config) -> int | None`:
    # how many parameters a module built from `config` has, without building it (None where
    # the config's sizes are not integers: building then says what is wrong).  `nets.load`
    # checks a file against it before allocating anything; a container counts only its own
    # (its parts count theirs).  Without it, a kind cannot be saved or loaded (an error).
    parameter_count: ClassVar[Callable[[dict[str, Any]], int | None] | None] = None

    def replay_problem(self) -> str | None:
        """Why a tape traced once per example (`fit(compiled=True)`) cannot replay this module
        as it is now, or None if it can: the module says it, the compiler asks."""
        return None

    def save(self, path: str) -> None:
        """Write architecture and weights to a JSON file (see `nets.serialize`)."""
        from .serialize import save

        save(self, path)


_frozen: weakref.WeakSet[Module] = weakref.WeakSet()  # the live modules with requires_grad False


def frozen_parameters() -> set[Value]:
    """The parameters of every frozen module still alive (what optimisers skip).

    Frozen-ness is kept on the modules, not on each Value (a slot on every node would cost
    memory on every node of every graph).
    """
    return {p for module in list(_frozen) for _, p in module.own_parameters()}


def _named(module: Module, own: Callable[[Module], list[tuple[str, Value]]]) -> list[tuple[str, Value]]:
    """`own(module)` and the same of every module inside it, each named by its path."""
    named = list(own(module))
    for prefix, child in module.children():
        named += [(f"{prefix}.{name}", v) for name, v in _named(child, own)]
    return named


def as_list(x: Sequence[Input]) -> list[Input]:
    """Inputs as a list: NumPy rows become plain floats (much faster to multiply)."""
    if type(x) is list:
        return x
    if hasattr(x, "tolist"):
        return x.tolist()
    return list(x)


def seeded(seed: Seed) -> random.Random:
    """A random generator from a seed (None: fresh), or the generator itself: modules built
    together share one, so one seed fixes a whole network."""
    return seed if isinstance(seed, random.Random) else random.Random(seed)


def positive_int(n: object, who: str, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(Message("{who}: {what} must be a positive integer, got {n!r}", who=who, what=what, n=n))
    return n


def sizes(*values: object) -> list[int] | None:
    """`values` if all are integers, else None: for `parameter_count`, whose None leaves
    building the model to say what is wrong with a config."""
    ints = [n for n in values if isinstance(n, int) and not isinstance(n, bool)]
    return ints if len(ints) == len(values) else None


def _few(names: list[str]) -> str:
    if not names:
        return Message("none")
    shown = ", ".join(repr(n) for n in names[:3])
    return Message("{shown} and {more} more", shown=shown, more=len(names) - 3) if len(names) > 3 else shown
