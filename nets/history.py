"""`History`: what `fit` records per epoch, read by callbacks, plots and you."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class History:
    """Per-epoch training record: `history["loss"]`, `["accuracy"]`, `["val_loss"]`, `["val_accuracy"]`."""

    history: dict[str, list[float]] = field(default_factory=dict)
    best_epoch: int | None = None  # with early stopping: the epoch whose weights the model kept

    def record(self, **values: float) -> None:
        for name, value in values.items():
            self.history.setdefault(name, []).append(value)

    @property
    def epochs(self) -> int:
        return len(self.history.get("loss", []))

    def __getitem__(self, name: str) -> list[float]:
        return self.history[name]

    def plot(self, title: str = "Training history") -> Figure:
        """The loss (and accuracy) curves as a matplotlib Figure."""
        from .plot import loss_curves

        return loss_curves(self, title=title)
