"""Callbacks: code that `fit` runs at fixed moments of training, to watch it or steer it (Keras's idea).

    fit(model, X, y, ..., callbacks=[ClipGradNorm(1.0), MaxNorm(3.0), EarlyStopping(patience=10),
                                     CSVLogger("log.csv"), LiveView()])

A callback overrides the hooks it needs; `fit` calls each hook on every callback in list order:

    on_train_begin()                           after `self.run` is set
      on_epoch_begin(epoch)                    epochs count from 1
        on_batch_begin(batch)                  batches count from 1 in each epoch
        on_before_step(batch)                  gradients computed, the optimiser not yet stepped
        on_batch_end(batch, logs)              logs: {"loss": the batch's mean loss}
      on_epoch_end(epoch, logs)                logs: the epoch's loss, accuracy, val_loss, val_accuracy
    on_train_end()                             always, also when training raises

`self.run` (a `Run`) holds the model, optimiser, data and history; setting
`self.run.stop_training = True` ends training after the current batch (its epoch is still recorded).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, TextIO

import numpy as np

from autograd.files import write_atomically
from autograd.i18n import gettext as _
from autograd.value import Message

from . import optim

if TYPE_CHECKING:
    from tqdm import tqdm

    from . import losses
    from .module import Module
    from .history import History


@dataclass
class Run:
    """One call of `fit`, as its callbacks see it."""

    model: Module
    optimizer: optim.Optimizer
    history: History
    epochs: int
    batches: int  # per epoch
    X: np.ndarray
    y: np.ndarray
    loss: str | losses.Loss | losses.LossSpec
    threshold: float  # where one output splits the classes (see `outputs.threshold_for`)
    validation_data: tuple[Any, Any] | None = None
    stop_training: bool = False


class Callback:
    """The base class: every hook does nothing, so a callback overrides only what it needs."""

    run: Run

    def set_run(self, run: Run) -> None:
        self.run = run

    def on_train_begin(self) -> None: ...
    def on_epoch_begin(self, epoch: int) -> None: ...
    def on_batch_begin(self, batch: int) -> None: ...
    def on_before_step(self, batch: int) -> None: ...
    def on_batch_end(self, batch: int, logs: dict[str, float]) -> None: ...
    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None: ...
    def on_train_end(self) -> None: ...


class ClipGradNorm(Callback):
    """Before each step, scale all gradients down together to a total length of at most `max_norm`
    (`optim.clip_grad_norm`): the cure for exploding gradients, keeping their direction."""

    def __init__(self, max_norm: float) -> None:
        self.max_norm = optim.non_negative(max_norm, "ClipGradNorm", "max_norm")

    def on_before_step(self, batch: int) -> None:
        optim.clip_grad_norm(self.run.optimizer.params, self.max_norm)


class ClipGradValue(Callback):
    """Before each step, clamp every gradient into [-clip_value, clip_value] (`optim.clip_grad_value`)."""

    def __init__(self, clip_value: float) -> None:
        self.clip_value = optim.non_negative(clip_value, "ClipGradValue", "clip_value")

    def on_before_step(self, batch: int) -> None:
        optim.clip_grad_value(self.run.optimizer.params, self.clip_value)


class MaxNorm(Callback):
    """After each step, rescale each neuron's incoming weights to length at most `max_norm`
    (`optim.max_norm_constraint`; Keras's `kernel_constraint=max_norm(c)`)."""

    def __init__(self, max_norm: float) -> None:
        self.max_norm = optim.non_negative(max_norm, "MaxNorm", "max_norm")

    def on_batch_end(self, batch: int, logs: dict[str, float]) -> None:
        optim.max_norm_constraint(self.run.model, self.max_norm)


class LearningRateScheduler(Callback):
    """At the start of each epoch, set the optimiser's lr to `schedule(epoch, lr)` (epochs from 1),
    as Keras's LearningRateScheduler: `LearningRateScheduler(lambda epoch, lr: 0.1 * 0.95 ** epoch)`."""

    def __init__(self, schedule: Callable[[int, float], float]) -> None:
        if not callable(schedule):
            raise TypeError(Message("LearningRateScheduler: schedule must be a function (epoch, lr) -> lr, got {schedule!r}",
                                    schedule=schedule))
        self.schedule = schedule

    def on_epoch_begin(self, epoch: int) -> None:
        lr = self.schedule(epoch, self.run.optimizer.lr)
        self.run.optimizer.lr = optim.non_negative(lr, "LearningRateScheduler", Message("the lr for epoch {epoch}", epoch=epoch))


class StepSchedule(Callback):
    """Steps a schedule object (`optim.LinearDecay`) once at the end of each epoch: `fit(schedule=...)`."""

    def __init__(self, schedule: optim.LinearDecay) -> None:
        self.schedule = schedule

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        self.schedule.step()


class EarlyStopping(Callback):
    """Stop once `monitor` (default the validation loss) has not improved by more than `min_delta`
    for `patience` epochs, and put back the weights of the best epoch (`history.best_epoch`),
    as Keras's EarlyStopping(restore_best_weights=True).  `fit(patience=k)` adds one."""

    def __init__(self, monitor: str = "val_loss", patience: int = 5, *, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = True) -> None:
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(Message("EarlyStopping: patience must be a positive integer, got {patience!r}", patience=patience))
        if mode not in ("auto", "min", "max"):
            raise ValueError(Message("EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}", mode=mode))
        self.monitor, self.patience = monitor, patience
        self.min_delta = optim.non_negative(min_delta, "EarlyStopping", "min_delta")
        self.sign = -1.0 if mode == "max" or mode == "auto" and "accuracy" in monitor else 1.0
        self.restore_best_weights = restore_best_weights
        self.best: float | None = None
        self.weights: dict[str, float] | None = None

    def on_train_begin(self) -> None:
        if self.monitor.startswith("val_") and self.run.validation_data is None:
            raise ValueError(Message("EarlyStopping: it watches {monitor!r}, measured on validation data; pass "
                                     "validation_data too", monitor=self.monitor))
        self.best, self.weights = None, None

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if self.monitor not in logs:
            raise ValueError(Message("EarlyStopping: fit records {logs}, not {monitor!r}", logs=", ".join(logs),
                                     monitor=self.monitor))
        value = self.sign * logs[self.monitor]
        if self.best is None or value < self.best - self.min_delta:
            self.best, self.run.history.best_epoch = value, epoch
            if self.restore_best_weights:
                self.weights = self.run.model.state_dict()
        elif epoch - self.run.history.best_epoch >= self.patience:
            self.run.stop_training = True

    def on_train_end(self) -> None:
        if self.weights is not None:
            self.run.model.load_state_dict(self.weights)


class CSVLogger(Callback):
    """Write the history to a CSV file after every epoch: a header `epoch,loss,...`, a row per epoch.

    The whole file is rewritten each time, all or nothing, so it can be read while training runs."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        history = self.run.history.history
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["epoch", *history])
        writer.writerows([i, *(repr(values[i - 1]) for values in history.values())]
                         for i in range(1, self.run.history.epochs + 1))
        write_atomically(self.path, text.getvalue())


class JSONLogger(Callback):
    """Write the history to a JSON file after every epoch: `{"loss": [...], "accuracy": [...], ...}`
    (plus `best_epoch` when early stopping ran), rewritten all or nothing each time."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        record: dict[str, Any] = dict(self.run.history.history)
        if self.run.history.best_epoch is not None:
            record["best_epoch"] = self.run.history.best_epoch
        write_atomically(self.path, json.dumps(record, indent=1) + "\n")


def number(x: float) -> str:
    """A metric in a fixed format: 4 decimals (0.9955, 1.0000, 0.7000), scientific if tiny or huge."""
    return f"{x:.4f}" if x == 0 or 1e-3 <= abs(x) < 1e5 else f"{x:.3e}"


def epoch_line(epoch: int, epochs: int, logs: dict[str, float], width: int = 80) -> str:
    """`epoch 3/10 loss=0.1234 accuracy=0.9955 ...`, wrapped (never cut) to `width` columns."""
    heading = _("epoch {epoch}/{epochs}").format(epoch=f"{epoch:>{len(str(epochs))}}", epochs=epochs)
    parts = [heading, *(f"{k}={number(v)}" for k, v in logs.items())]
    lines = [parts[0]]
    for part in parts[1:]:
        if len(lines[-1]) + 1 + len(part) > width:
            lines.append("  " + part)
        else:
            lines[-1] += " " + part
    return "\n".join(lines)


def redraws_in_place(stream: TextIO) -> bool:
    """Whether a progress bar can redraw itself on `stream`: a terminal, or a notebook's output."""
    in_notebook = type(stream).__module__.startswith("ipykernel")
    return in_notebook or hasattr(stream, "isatty") and stream.isatty()


class ProgressBar(Callback):
    """`fit(progress=True)`: a line per finished epoch and, on a terminal or in Jupyter, a live bar
    over the current epoch's batches (Keras's way).  Lines fit the terminal's width, wrapped, never cut;
    on a log file or a pipe there is no bar and no carriage return, only the lines."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.bar: tqdm | None = None

    def on_train_begin(self) -> None:
        self.out = self.stream or sys.stderr
        self.live = redraws_in_place(self.out)

    def on_epoch_begin(self, epoch: int) -> None:
        if self.live:
            from tqdm import tqdm

            self.bar = tqdm(total=self.run.batches, desc=_("epoch {epoch}/{epochs}").format(epoch=epoch, epochs=self.run.epochs), unit="batch",
                            leave=False, file=self.out, dynamic_ncols=True)

    def on_batch_end(self, batch: int, logs: dict[str, float]) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"loss={number(logs['loss'])}", refresh=False)
            self.bar.update()

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        self._close_bar()
        width = shutil.get_terminal_size().columns if self.live else 80
        print(epoch_line(epoch, self.run.epochs, logs, width), file=self.out, flush=True)

    def on_train_end(self) -> None:
        self._close_bar()

    def _close_bar(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None



class LiveView(Callback):
    """Watch training: one picture of the loss and accuracy curves and, for two-input data, the
    decision boundary, redrawn after every `every` epochs (and at the end), like TensorFlow Playground.

    In Jupyter the picture is one output that is replaced in place (a display id), so it does
    not flicker and leaves no copies behind; elsewhere give `path` and it is written there as PNG,
    all or nothing, each time.  The boundary is evaluated on a `resolution` x `resolution` grid.
    """

    def __init__(self, *, every: int = 1, resolution: int = 50, path: str | os.PathLike[str] | None = None,
                 title: str = "") -> None:
        for what, n in (("every", every), ("resolution", resolution)):
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(Message("{who}: {what} must be a positive integer, got {n!r}", who="LiveView", what=what, n=n))
        self.every, self.resolution, self.path, self.title = every, resolution, path, title
        self.handle: Any = None  # the notebook output the picture lives in
        self.updates = self.drawn = 0  # pictures drawn; the epochs the last one shows
        self.last_png = b""

    def on_train_begin(self) -> None:
        if self.path is None and not in_notebook():
            raise ValueError(Message("LiveView: shows its picture in Jupyter; outside a notebook give it a file, "
                                     "LiveView(path='training.png'), to have the picture written there each epoch"))
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=(13, 3.8), layout="constrained")  # one figure, redrawn: never pyplot's
        self.handle, self.drawn = None, 0

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if epoch % self.every == 0:
            self.draw()

    def on_train_end(self) -> None:
        if self.run.history.epochs > self.drawn:  # the last epochs, or an early stop, not drawn yet
            self.draw()

    def draw(self) -> None:
        from .plot import png, training_view

        run = self.run
        training_view(self.figure, run.history, model=run.model, X=run.X, y=run.y, threshold=run.threshold,
                      resolution=self.resolution, title=self.title)
        self.last_png, self.drawn = png(self.figure), run.history.epochs
        self.updates += 1
        if self.path is not None:
            write_atomically(self.path, self.last_png)
            return
        from IPython.display import Image, display

        if self.handle is None:
            self.handle = display(Image(self.last_png), display_id=True)
        else:
            self.handle.update(Image(self.last_png))


def in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel (where a display can be updated in place)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return getattr(get_ipython(), "kernel", None) is not None
