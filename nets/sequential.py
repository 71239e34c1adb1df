"""`Sequential`: modules applied one after another, each to the previous one's output.

    >>> from nets import Sequential, Conv2d, ReLU, MaxPool2d, Flatten, Linear
    >>> model = Sequential(Conv2d(1, 8, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(), Linear(128, 10))
    >>> model.num_parameters(), len(model), type(model[:3]).__name__
    (1370, 5, 'Sequential')
"""

from __future__ import annotations

from typing import Any, Iterator, Sequence, overload

from autograd.value import Message

from .module import Module


class Sequential(Module):
    """A model written layer by layer, as in PyTorch: `model[0]` is the first module and
    `model[:3]` a Sequential of the first three (the same modules, so the same weights:
    handy for looking at what a model computes halfway through)."""

    def __init__(self, *modules: Module) -> None:
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(Message("Sequential: module {i} must be a Module, got {type} {module!r}", i=i,
                                        type=type(module).__name__, module=module))
        self.layers = list(modules)

    def __call__(self, x: Any) -> Any:
        for module in self.layers:
            x = module(x)
        return x

    def forward_batch(self, xs: Sequence) -> list:
        """The whole batch through each module in turn, by its `forward_batch`: a module that
        needs every example at once (BatchNorm1d in training) sees the whole batch."""
        outs = list(xs)
        for module in self.layers:
            outs = module.forward_batch(outs)
        return outs

    @overload
    def __getitem__(self, index: int) -> Module: ...

    @overload
    def __getitem__(self, index: slice) -> Sequential: ...

    def __getitem__(self, index: int | slice) -> Module | Sequential:
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def children(self) -> list[tuple[str, Module]]:
        return [(str(i), module) for i, module in enumerate(self.layers)]

    def config(self) -> dict[str, Any]:
        return {"modules": [{"kind": type(m).__name__, "config": m.config()} for m in self.layers]}

    @classmethod
    def parameter_count(cls, config: dict[str, Any]) -> int:
        """None of its own: each of its modules counts its own."""
        return 0

    def __repr__(self) -> str:
        lines = [f"  ({i}): {module!r}" for i, module in enumerate(self.layers)]
        return "Sequential(\n" + "\n".join(lines) + "\n)" if lines else "Sequential()"
