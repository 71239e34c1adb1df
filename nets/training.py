"""`fit`: the training loop, Keras-style.

Each epoch shuffles the data into mini-batches; for each batch: zero the gradients,
run the forward pass, average the per-example losses, backpropagate, step.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np

import autograd
from autograd import Value, gc_paused
from autograd.compile import real_array
from autograd.value import Message

from . import losses
from .callbacks import Callback, EarlyStopping, ProgressBar, Run, StepSchedule
from .data import batches
from .history import History
from .module import Module
from .optim import LinearDecay, Optimizer
from .outputs import count_correct, output_classes, per_step

if TYPE_CHECKING:
    from .compiled import CompiledTraining


class DivergenceError(FloatingPointError):
    """Training blew up: the loss or a gradient became NaN/infinite, or the forward pass overflowed."""


def fit(
    model: Module,
    X: Sequence,
    y: Sequence,
    *,
    loss: str | losses.Loss | losses.LossSpec,
    optimizer: Optimizer,
    epochs: int,
    batch_size: int | None = None,
    validation_data: tuple[Sequence, Sequence] | None = None,
    metrics: Sequence[str] = ("accuracy",),
    callbacks: Sequence[Callback] = (),
    progress: bool = True,
    seed: int | None = None,
    schedule: LinearDecay | None = None,
    patience: int | None = None,
    compiled: bool = False,
) -> History:
    """Train `model` on (X, y) and return its History.

    `loss` is a name from `nets.losses.LOSSES`, a callable `(output, target) -> Value` or a
    `losses.LossSpec`; it is resolved once, and that entry serves every step and evaluation.
    `batch_size=None` trains on the full batch; `seed` fixes the shuffling.  `callbacks`
    (`nets.callbacks`: clipping, max-norm, schedules, early stopping, loggers, `LiveView`)
    run at each epoch's and batch's start and end, and can stop training.  `schedule` is
    stepped once per epoch.  `patience` (needs `validation_data`) is
    `callbacks=[EarlyStopping(patience=patience)]`: it stops once the validation loss has not
    improved for that many epochs and puts back the best epoch's weights (`history.best_epoch`).
    Frozen modules (`requires_grad_(False)`) are left unchanged.  `compiled=True` traces the
    model and loss once into an `autograd.Tape` and trains each batch with NumPy array
    operations (the same steps, much faster; see `nets.compiled`); the model stays an
    ordinary model of Values.  `progress` prints a line per epoch and, on a terminal or in
    Jupyter, a live bar over the epoch's batches (`callbacks.ProgressBar`).  Raises
    DivergenceError naming the epoch and batch if the loss or a gradient stops being a
    finite number or the forward pass overflows.
    """
    loss = losses.resolve(loss)  # once: the step, the compiled trainer and evaluate share this entry
    loss_fn = per_step(loss.function)
    for metric in metrics:
        if metric != "accuracy":
            raise ValueError(Message("fit: unknown metric {metric!r}; the only metric is 'accuracy'", metric=metric))
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(Message("fit: epochs must be a positive integer, got {epochs!r}", epochs=epochs))
    X, y = _rows(X, "fit"), np.asarray(y)
    if len(X) != len(y) or len(X) == 0:
        raise ValueError(Message("{who}: X has {rows} rows and y {targets} targets; they must match and be non-empty",
                                 who="fit", rows=len(X), targets=len(y)))
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(Message("fit: batch_size must be a positive integer or None, got {batch_size!r}", batch_size=batch_size))
    bad = next((c for c in callbacks if not isinstance(c, Callback)), None)
    if bad is not None:
        raise TypeError(Message("fit: each callback must be a nets.callbacks.Callback, got {bad!r}", bad=bad))
    callbacks = [*([ProgressBar()] if progress else []),  # fit's own first, in list order, then the caller's
                 *([StepSchedule(schedule)] if schedule is not None else []),
                 *([EarlyStopping(patience=patience)] if patience is not None else []), *callbacks]
    rng = np.random.default_rng(seed)
    threshold = loss.threshold
    history = History()
    run = Run(model, optimizer, history, epochs, math.ceil(len(X) / (batch_size or len(X))), X, y, loss, threshold,
              validation_data)
    trainer = None
    if compiled:
        from .compiled import CompiledTraining  # imports the compiler, and so NumPy's part of it

        trainer = CompiledTraining(model.train(), loss, X, y, optimizer)
    for callback in callbacks:
        callback.set_run(run)
    sync = trainer is not None and any(map(_touches_values_per_batch, callbacks))
    try:
        _each(callbacks, "on_train_begin")
        for epoch in range(1, epochs + 1):
            _each(callbacks, "on_epoch_begin", epoch)
            model.train()
            total, correct, seen = 0.0, 0, 0
            for b, (xb, yb) in enumerate(batches(X, y, batch_size, seed=rng), start=1):
                _each(callbacks, "on_batch_begin", b)
                where = Message("epoch {epoch}, batch {batch}", epoch=epoch, batch=b)
                if trainer is None:
                    batch_loss, classes = _train_step(model, xb, yb.tolist(), loss_fn, optimizer, where, threshold,
                                                      callbacks, b)
                else:
                    batch_loss, classes = _compiled_step(trainer, xb, yb, where, callbacks, b, sync)
                total += batch_loss * len(yb)
                correct += count_correct(classes, yb.tolist())
                seen += len(yb)
                if sync:
                    trainer.write_back()
                _each(callbacks, "on_batch_end", b, {"loss": batch_loss})
                if sync:
                    trainer.read_back()
                if run.stop_training:
                    break
            if trainer is not None:
                trainer.write_back()  # the model's Values, for validation, callbacks and the caller
            record = {"loss": total / seen}
            if metrics:
                record["accuracy"] = correct / seen
            if validation_data is not None:
                try:
                    val_loss, val_accuracy = evaluate(model, *validation_data, loss=loss)
                except OverflowError as error:  # evaluate already says the forward pass overflowed and why: add only when
                    raise DivergenceError(Message("training diverged at epoch {epoch}, validation: {error}; try a "
                                                  "smaller learning rate", epoch=epoch, error=error)) from error
                record["val_loss"] = val_loss
                if metrics:
                    record["val_accuracy"] = val_accuracy
            history.record(**record)
            _each(callbacks, "on_epoch_end", epoch, record)
            if run.stop_training:
                break
    finally:
        if trainer is not None:
            trainer.write_back()  # however training ends: before on_train_end (EarlyStopping puts back the best)
        _each(callbacks, "on_train_end")
        model.eval()
    return history


def _touches_values_per_batch(callback: Callback) -> bool:
    """Whether a callback may read or change weights or gradients between batches (clipping,
    max-norm, your own): then compiled training keeps the model's Values current each batch."""
    if isinstance(callback, ProgressBar):
        return False
    kind = type(callback)
    return any(getattr(kind, hook) is not getattr(Callback, hook) for hook in ("on_batch_begin", "on_before_step", "on_batch_end"))


def _each(callbacks: Sequence[Callback], hook: str, *args: object) -> None:
    for callback in callbacks:
        getattr(callback, hook)(*args)


def _train_step(model: Module, xb: np.ndarray, targets: list, loss_fn: losses.Loss, optimizer: Optimizer,
                where: str, threshold: float, callbacks: Sequence[Callback] = (), batch: int = 1
                ) -> tuple[float, list[int]]:
    """One gradient step on one batch: zero, forward, mean loss, backward, update.

    Returns the batch's mean loss and the predicted classes; refuses to step on garbage.
    """
    optimizer.zero_grad()
    with gc_paused(), _overflow_means_divergence(Message("{where}: the forward pass", where=where)):
        outs = model.forward_batch(xb.tolist())
        batch_loss = autograd.sum(map(loss_fn, outs, targets)) * (1.0 / len(targets))
    try:
        batch_loss.backward()  # refuses a gradient that overflows: no inf or NaN reaches the step
    except OverflowError as error:
        raise _gradient_diverged(where, error) from error
    _each(callbacks, "on_before_step", batch)
    _step_keeping_finite_weights(optimizer, where)
    return batch_loss.data, output_classes(outs, threshold)


def _compiled_step(trainer: CompiledTraining, xb: np.ndarray, yb: np.ndarray, where: str,
                   callbacks: Sequence[Callback] = (), batch: int = 1, sync: bool = False) -> tuple[float, list[int]]:
    """`_train_step` through the tape: the same step, on the whole batch at once, with the
    parameters and the optimiser's state as NumPy vectors (see `CompiledTraining`).  With
    `sync`, the Values hold the weights and gradients while the callbacks run (for clipping)."""
    with _overflow_means_divergence(Message("{where}: the forward pass", where=where)):
        batch_loss, classes = trainer.forward(xb, yb)
    try:
        grad = trainer.backward()  # refuses a gradient that is not finite
    except OverflowError as error:
        raise _gradient_diverged(where, error) from error
    if sync:
        trainer.write_back(grad)
    _each(callbacks, "on_before_step", batch)
    if sync:
        grad = trainer.read_back()
    if not trainer.update(grad):  # the last finite weights are kept
        raise _weight_diverged(where)
    return batch_loss, classes


def _gradient_diverged(where: str, error: OverflowError) -> DivergenceError:
    return DivergenceError(Message("training diverged at {where}: a gradient is not finite ({error}); try a smaller "
                                      "learning rate or gradient clipping", where=where, error=error))


def _step_keeping_finite_weights(optimizer: Optimizer, where: str) -> None:
    """`optimizer.step()`; if it made a weight infinite, the last finite weights are put back and it raises."""
    before = [p.data for p in optimizer.params]
    optimizer.step()
    if not all(math.isfinite(p.data) for p in optimizer.params):  # put the last finite weights back
        for p, data in zip(optimizer.params, before):
            p.data = data
        raise _weight_diverged(where)


def _weight_diverged(where: str) -> DivergenceError:
    return DivergenceError(Message("training diverged at {where}: the step made a weight infinite; try a smaller "
                                      "learning rate", where=where))


def predict(model: Module, X: Sequence, *, threshold: float = 0.0) -> list[int]:
    """Class labels: argmax of a multi-output model, or score > threshold for one output."""
    return output_classes(outputs(model, _rows(X, "predict")), threshold)  # a 1-D X: say so, not "float is not iterable"


def outputs(model: Module, X: Sequence) -> list[Value | list[Value]]:
    """The model's raw outputs for every row of X, in eval mode and without building a graph."""
    model.eval()
    try:
        with autograd.no_grad(), gc_paused():
            return [model(x) for x in np.asarray(X, dtype=float).tolist()]
    except OverflowError as error:  # say why: usually weights loaded or trained far too large
        largest = max((abs(p.data) for p in model.parameters()), default=0.0)
        raise OverflowError(Message("the forward pass overflowed ({error}); the model's largest weight is "
                                       "{largest:.3g}", error=error, largest=largest)) from None


def evaluate(model: Module, X: Sequence, y: Sequence, *, loss: str | losses.Loss | losses.LossSpec) -> tuple[float, float]:
    """(mean loss, accuracy) of `model` on (X, y), without training."""
    loss = losses.resolve(loss)
    loss_fn = per_step(loss.function)
    targets = np.asarray(y).tolist()
    rows = len(_rows(X, "evaluate"))
    if rows == 0 or rows != len(targets):
        raise ValueError(Message("{who}: X has {rows} rows and y {targets} targets; they must match and be non-empty",
                                 who="evaluate", rows=rows, targets=len(targets)))
    outs = outputs(model, X)
    with autograd.no_grad():
        mean_loss = math.fsum(loss_fn(o, t).data for o, t in zip(outs, targets)) / len(targets)
    accuracy = count_correct(output_classes(outs, loss.threshold), targets) / len(targets)
    return mean_loss, accuracy


def _rows(X: Sequence, who: str) -> np.ndarray:
    """X as a float array, one example per row: (n, features), (n, steps, features) sequences,
    (n, C, H, W) images, or any shape the model takes after the first axis (a 1-D X is a common slip: say so)."""
    X = real_array(X, f"{who}: X")
    if X.ndim < 2:
        raise ValueError(Message("{who}: X must be 2-D or more (one row of inputs per example), got shape {shape}; "
                                 "for one input per example use X.reshape(-1, 1)", who=who, shape=X.shape))
    return X


@contextmanager
def _overflow_means_divergence(where: str) -> Iterator[None]:
    """Turn an overflow inside the block into a DivergenceError saying `where` it happened."""
    try:
        yield
    except OverflowError as error:
        raise DivergenceError(Message("training diverged at {where} overflowed ({error}); try a smaller learning rate",
                                      where=where, error=error)) from error
