"""nets.callbacks: fit's hooks, stopping, clipping, max-norm, schedules, early stopping, loggers, the progress lines."""

import csv
import io
import json
import math
import re

import numpy as np
import pytest

from nets import MLP, data, fit, optim
from nets.callbacks import (Callback, ClipGradNorm, ClipGradValue, CSVLogger, EarlyStopping, JSONLogger,
                            LearningRateScheduler, MaxNorm, ProgressBar, epoch_line, number)


class Recorder(Callback):
    """Writes down every hook call, and the gradient norm and lr each step sees."""

    def __init__(self, stop_at=None):
        self.calls, self.norms, self.largest, self.lrs, self.stop_at = [], [], [], [], stop_at

    def on_train_begin(self):
        self.calls.append("train_begin")

    def on_epoch_begin(self, epoch):
        self.calls.append(f"epoch_begin {epoch}")
        self.lrs.append(self.run.optimizer.lr)

    def on_batch_begin(self, batch):
        self.calls.append(f"batch_begin {batch}")

    def on_before_step(self, batch):
        grads = [p.grad for p in self.run.optimizer.params]
        self.norms.append(math.hypot(*grads))
        self.largest.append(max(map(abs, grads)))

    def on_batch_end(self, batch, logs):
        self.calls.append(f"batch_end {batch} loss")
        if self.stop_at == (len(self.lrs), batch):  # (epoch, batch); one lr is noted per epoch begun
            self.run.stop_training = True

    def on_epoch_end(self, epoch, logs):
        self.calls.append(f"epoch_end {epoch} {' '.join(logs)}")

    def on_train_end(self):
        self.calls.append("train_end")


def _moons_fit(*callbacks, epochs=3, lr=0.5, compiled=False, **options):
    X, y = data.moons(n=40, noise=0.2, seed=0)
    model = MLP(2, [8, 1], activation="relu", seed=0)
    opt = optim.SGD(model.parameters(), lr=lr)
    history = fit(model, X, y, loss="bce_with_logits", optimizer=opt, epochs=epochs, batch_size=16, seed=0,
                  progress=False, callbacks=list(callbacks), compiled=compiled, **options)
    return model, history


def test_hooks_run_in_order_once_each():
    recorder = Recorder()
    _moons_fit(recorder, epochs=2, validation_data=data.moons(n=10, seed=1))
    batches = ["batch_begin 1", "batch_end 1 loss", "batch_begin 2", "batch_end 2 loss", "batch_begin 3", "batch_end 3 loss"]
    metrics = "loss accuracy val_loss val_accuracy"
    assert recorder.calls == ["train_begin",
                              "epoch_begin 1", *batches, f"epoch_end 1 {metrics}",
                              "epoch_begin 2", *batches, f"epoch_end 2 {metrics}", "train_end"]
    assert len(recorder.norms) == 6


def test_a_callback_stops_training_after_the_batch_and_the_epoch_is_recorded():
    recorder = Recorder(stop_at=(1, 2))
    _, history = _moons_fit(recorder, epochs=5)
    assert history.epochs == 1 and recorder.calls[-3:] == ["batch_end 2 loss", "epoch_end 1 loss accuracy", "train_end"]


def test_train_end_runs_when_training_raises():
    class Boom(Callback):
        def on_batch_end(self, batch, logs):
            raise ValueError("boom")

    recorder = Recorder()
    with pytest.raises(ValueError, match="boom"):
        _moons_fit(recorder, Boom())
    assert recorder.calls[-1] == "train_end"


def test_clip_grad_norm_caps_the_norm_each_step_sees():
    free, clipped = Recorder(), Recorder()
    _moons_fit(free, lr=0.1)
    _moons_fit(ClipGradNorm(0.05), clipped, lr=0.1)
    assert max(free.norms) > 0.1  # so the clipping had work to do
    assert max(clipped.norms) == pytest.approx(0.05, rel=1e-12)


def test_clip_grad_value_caps_each_gradient():
    clipped = Recorder()
    _moons_fit(ClipGradValue(0.01), clipped, lr=0.1)
    assert max(clipped.largest) == pytest.approx(0.01)


def test_max_norm_equals_the_constraint_after_every_step():
    """The callback does what notebook 12 once did by subclassing the optimiser."""
    class MaxNormSGD(optim.SGD):
        def __init__(self, model, c, **options):
            super().__init__(model.parameters(), **options)
            self.model, self.c = model, c

        def step(self):
            super().step()
            optim.max_norm_constraint(self.model, self.c)

    model, _ = _moons_fit(MaxNorm(0.5), lr=1.0)
    X, y = data.moons(n=40, noise=0.2, seed=0)
    by_hand = MLP(2, [8, 1], activation="relu", seed=0)
    fit(by_hand, X, y, loss="bce_with_logits", optimizer=MaxNormSGD(by_hand, 0.5, lr=1.0), epochs=3, batch_size=16,
        seed=0, progress=False)
    assert [p.data for p in model.parameters()] == [p.data for p in by_hand.parameters()]
    norms = [math.hypot(*(w.data for w in n.w)) for layer in model.layers for n in layer.neurons]
    assert max(norms) == pytest.approx(0.5)


def test_learning_rate_scheduler_sets_each_epochs_lr():
    recorder = Recorder()
    _moons_fit(LearningRateScheduler(lambda epoch, lr: 0.5 / epoch), recorder, epochs=4)
    assert recorder.lrs == [0.5, 0.25, 0.5 / 3, 0.125]
    with pytest.raises(ValueError, match="LearningRateScheduler: the lr for epoch 1"):
        _moons_fit(LearningRateScheduler(lambda epoch, lr: -1.0))


def test_patience_is_an_early_stopping_callback():
    validation = data.moons(n=100, noise=0.2, seed=1)
    by_argument = _moons_fit(epochs=40, lr=3.0, validation_data=validation, patience=3)
    by_callback = _moons_fit(EarlyStopping(patience=3), epochs=40, lr=3.0, validation_data=validation)
    assert by_argument[1].history == by_callback[1].history and by_argument[1].epochs < 40
    assert by_argument[1].best_epoch == by_callback[1].best_epoch
    assert [p.data for p in by_argument[0].parameters()] == [p.data for p in by_callback[0].parameters()]


def test_early_stopping_on_accuracy_watches_for_a_maximum():
    validation = data.moons(n=100, noise=0.2, seed=1)
    _, history = _moons_fit(EarlyStopping("val_accuracy", patience=2), epochs=40, validation_data=validation)
    accuracies = history["val_accuracy"]
    assert history.best_epoch == 1 + accuracies.index(max(accuracies))
    assert history.epochs == history.best_epoch + 2


def test_early_stopping_errors_are_clear():
    with pytest.raises(ValueError, match="EarlyStopping: patience must be a positive integer"):
        EarlyStopping(patience=0)
    with pytest.raises(ValueError, match="EarlyStopping: fit records loss, accuracy, not 'los'"):
        _moons_fit(EarlyStopping("los"))
    with pytest.raises(ValueError, match="EarlyStopping: it watches 'val_loss'.*pass validation_data too"):
        _moons_fit(EarlyStopping())


def test_loggers_write_the_history_after_each_epoch(tmp_path):
    class Reader(Callback):  # reads the files as they are after each epoch
        def __init__(self):
            self.rows = []

        def on_epoch_end(self, epoch, logs):
            self.rows.append(len(list(csv.reader(open(tmp_path / "log.csv")))) - 1)

    reader = Reader()
    _, history = _moons_fit(CSVLogger(tmp_path / "log.csv"), JSONLogger(tmp_path / "log.json"), reader,
                            validation_data=data.moons(n=10, seed=1), patience=5)
    assert reader.rows == [1, 2, 3]
    rows = list(csv.DictReader(open(tmp_path / "log.csv")))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert [float(r["val_loss"]) for r in rows] == history["val_loss"]  # repr: every digit
    saved = json.loads((tmp_path / "log.json").read_text())
    assert {k: saved[k] for k in history.history} == history.history and saved["best_epoch"] == history.best_epoch
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.csv", "log.json"]  # no temporaries left


def test_fit_refuses_what_is_not_a_callback():
    with pytest.raises(TypeError, match="each callback must be a nets.callbacks.Callback"):
        _moons_fit(lambda: None)


def test_callbacks_steer_compiled_training_as_they_do_uncompiled():
    runs = [_moons_fit(ClipGradNorm(0.05), MaxNorm(0.7), LearningRateScheduler(lambda e, lr: 1.0 / e), compiled=c)[0]
            for c in (False, True)]
    assert np.max(np.abs(np.subtract(*[[p.data for p in m.parameters()] for m in runs]))) <= 1e-12


@pytest.mark.parametrize("x, text", [(1.0, "1.0000"), (0.7, "0.7000"), (0.99554, "0.9955"), (0.0, "0.0000"),
                                     (1.5e-5, "1.500e-05"), (123456.0, "1.235e+05"), (float("nan"), "nan")])
def test_numbers_have_a_fixed_format(x, text):
    assert number(x) == text


def test_an_epoch_line_fits_80_columns_and_wraps_rather_than_cut():
    logs = {"loss": 0.1234, "accuracy": 0.9955, "val_loss": 0.2345, "val_accuracy": 0.99}
    line = epoch_line(100, 100, logs)
    assert line == "epoch 100/100 loss=0.1234 accuracy=0.9955 val_loss=0.2345 val_accuracy=0.9900"
    assert len(line) <= 80
    wrapped = epoch_line(7, 100_000, {**logs, "loss": 1e300}, width=40)
    assert all(len(part) <= 40 for part in wrapped.splitlines()) and len(wrapped.splitlines()) == 3
    assert wrapped.split() == ["epoch", "7/100000", *(f"{k}={number(v)}" for k, v in {**logs, "loss": 1e300}.items())]


class Terminal(io.StringIO):
    def isatty(self):
        return True


def _screen(text):
    """What a terminal shows after `text`: each carriage return goes back to the start of the line."""
    lines = []
    for line in text.split("\n"):
        shown = ""
        for piece in line.split("\r"):
            shown = piece + shown[len(piece):]
        lines.append(shown.rstrip())
    return [line for line in lines if line]


def test_on_a_terminal_a_live_bar_per_epoch_leaves_one_line_per_finished_epoch(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    terminal = Terminal()
    _moons_fit(ProgressBar(terminal), epochs=3, validation_data=data.moons(n=10, seed=1))
    out = terminal.getvalue()
    assert "\r" in out and "batch" in out  # the live bar was drawn over the epoch's batches
    assert max(len(piece.rstrip()) for piece in re.split("[\r\n]", out)) <= 80  # every drawing of the bar too
    screen = _screen(out)
    assert len(screen) == 3 and all(len(line) <= 80 for line in screen), screen
    assert all(re.fullmatch(rf"epoch {e}/3 loss=\d\.\d{{4}} accuracy=\d\.\d{{4}} val_loss=\d\.\d{{4}} "
                            rf"val_accuracy=\d\.\d{{4}}", line) for e, line in enumerate(screen, start=1)), screen


def test_live_view_redraws_one_picture_into_a_file_outside_jupyter(tmp_path):
    from nets.callbacks import LiveView

    view = LiveView(path=tmp_path / "live.png", every=2, resolution=20)
    _moons_fit(view, epochs=5)
    assert view.updates == 3 and view.drawn == 5  # epochs 2 and 4, then the last at the end
    assert (tmp_path / "live.png").read_bytes() == view.last_png and view.last_png.startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live.png"]
    assert [ax.get_title() for ax in view.figure.axes] == ["Loss", "Accuracy", "Decision boundary after epoch 5"]
    with pytest.raises(ValueError, match="LiveView: shows its picture in Jupyter.*LiveView\\(path="):
        _moons_fit(LiveView())


@pytest.mark.slow
def test_live_view_in_jupyter_updates_one_output_in_place(tmp_path):
    """Headless: a real kernel runs fit with a LiveView; the cell ends with one picture, the last."""
    import base64

    import nbformat
    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME
    from nbclient import NotebookClient

    cell = ("from nets import MLP, data, fit, optim\n"
            "from nets.callbacks import LiveView\n"
            "import matplotlib.pyplot as plt\n"
            "X, y = data.moons(n=40, noise=0.2, seed=0)\n"
            "model = MLP(2, [8, 1], activation='relu', seed=0)\n"
            "view = LiveView(resolution=20)\n"
            "history = fit(model, X, y, loss='bce_with_logits', optimizer=optim.SGD(model.parameters(), lr=0.5),\n"
            "              epochs=4, batch_size=16, seed=0, progress=False, callbacks=[view])")
    check = "import hashlib; print(view.updates, len(plt.get_fignums()), hashlib.sha256(view.last_png).hexdigest())"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell), nbformat.v4.new_code_cell(check)])
    NotebookClient(nb, timeout=300, kernel_name=NATIVE_KERNEL_NAME,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data"], outputs  # one picture, no copies
    updates, figures, digest = nb.cells[1].outputs[0].text.split()
    assert (updates, figures) == ("4", "0")  # drawn four times into that output; no pyplot figure left
    import hashlib

    assert hashlib.sha256(base64.b64decode(outputs[0].data["image/png"])).hexdigest() == digest  # the last picture


def test_callbacks_are_a_submodule_of_nets_and_named_parameters_is_documented():
    import pathlib

    import nets

    assert nets.callbacks.EarlyStopping is EarlyStopping
    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "`named_parameters()`" in readme and "nets.callbacks" in readme and "LiveView()" in readme
