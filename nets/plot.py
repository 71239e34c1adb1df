"""Pictures of training: decision boundaries, loss curves, gradient norms per layer and
through time, predictions against targets.

Uses matplotlib's object-oriented `Figure` (no pyplot), so it works headless with no
display and no backend set-up; in Jupyter a returned Figure shows itself.
"""

from __future__ import annotations

import io
import math
import os
from typing import Protocol, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

import autograd
from autograd import no_grad
from autograd.files import write_atomically
from autograd.i18n import N_
from autograd.value import Message

from . import losses
from .conv import Conv2d
from .dense import MLP
from .language import figure_text
from .module import Module
from .outputs import output_classes
from .sequential import Sequential

class Recorded(Protocol):
    """What `loss_curves` reads of a training record (`nets.History`): the values per epoch."""

    history: dict[str, list[float]]


COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def decision_boundary(
    model: Module,
    X: np.ndarray,
    y: np.ndarray,
    *,
    threshold: float = 0.0,
    resolution: int = 120,
    title: str = "Decision boundary",
) -> Figure:
    """The regions where a 2-input classifier predicts each class, with the data on top.

    Evaluates the model on a resolution x resolution grid (under no_grad, so no graph).
    One output: class 1 where the score > threshold; several: the argmax.
    """
    fig = Figure(figsize=(6, 5), layout="constrained")
    draw_boundary(fig.add_subplot(), model, X, y, threshold=threshold, resolution=resolution, title=title)
    return fig


def draw_boundary(ax: Axes, model: Module, X: np.ndarray, y: np.ndarray, *, threshold: float = 0.0,
                  resolution: int = 120, title: str = "Decision boundary") -> None:
    """`decision_boundary`, drawn into `ax`."""
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(Message("decision_boundary: X must have 2 columns (a 2-D dataset), got shape {shape}", shape=X.shape))
    pad = 0.25 * (X.max(axis=0) - X.min(axis=0)) + 0.1
    (x0, y0), (x1, y1) = X.min(axis=0) - pad, X.max(axis=0) + pad
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    model.eval()
    with no_grad():
        outs = [model(point) for point in np.dstack(np.meshgrid(xs, ys)).reshape(-1, 2).tolist()]
    grid = np.array(output_classes(outs, threshold), dtype=float)
    classes = max(int(y.max()) + 1, int(grid.max()) + 1)
    cmap = ListedColormap(COLOURS[:classes])
    regions = grid.reshape(resolution, resolution)
    ax.contourf(xs, ys, regions, levels=np.arange(classes + 1) - 0.5, cmap=cmap, alpha=0.25)
    if classes == 2 and 0 < regions.mean() < 1:
        ax.contour(xs, ys, regions, levels=[0.5], colors="black", linewidths=0.8, alpha=0.6)
    for c in range(classes):
        chosen = y == c
        ax.scatter(X[chosen, 0], X[chosen, 1], s=22, color=COLOURS[c], edgecolors="black", linewidths=0.5, label=f"class {c}")
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$", xlim=(x0, x1), ylim=(y0, y1))
    ax.legend(loc="upper right", framealpha=0.9)


def loss_curves(history: Recorded, *, title: str = "Training history", loss_name: str = "loss",
                validation_name: str = "validation") -> Figure:
    """Loss per epoch (training and validation) and, if recorded, accuracy beside it.

    `loss_name` says which loss (`"hinge loss"`), `validation_name` which points the
    validation curve is measured on (`"validation: 100 other points"`).
    """
    panels = _curve_panels(history, loss_name)
    fig = Figure(figsize=(5.5 * len(panels), 4), layout="constrained")
    fig.suptitle(title)
    for i, (key, label) in enumerate(panels, start=1):
        draw_curve(fig.add_subplot(1, len(panels), i), history, key, label, validation_name)
    return fig


def _curve_panels(history: History, loss_name: str) -> list[tuple[str, str]]:
    return [("loss", loss_name)] + ([("accuracy", N_("accuracy"))] if "accuracy" in history.history else [])


def draw_curve(ax: Axes, history: History, key: str, label: str, validation_name: str = "validation") -> None:
    """One panel of `loss_curves`: `history[key]` per epoch, and `val_<key>` dashed if recorded."""
    h = history.history
    epochs = range(1, len(h[key]) + 1)
    ax.plot(epochs, h[key], label="training", color=COLOURS[0])
    if f"val_{key}" in h:
        ax.plot(epochs, h[f"val_{key}"], label=validation_name, color=COLOURS[1], linestyle="--")
    label = figure_text(label)  # in the figures' language, then capitalised for the title
    title = label[0].upper() + label[1:]
    if key == "loss" and min(h[key]) > 0 and max(h[key]) / min(h[key]) > 100:
        ax.set_yscale("log")  # a loss falling by orders of magnitude is flat on a linear axis
        label = N_("{0} (log scale)").format(label)
    ax.set(xlabel="epoch", ylabel=label, title=title)
    ax.grid(alpha=0.3)
    ax.legend()


def training_view(fig: Figure, history: History, *, model: Module | None = None, X: np.ndarray | None = None,
                  y: np.ndarray | None = None, threshold: float = 0.0, resolution: int = 50,
                  loss_name: str = "loss", title: str = "") -> Figure:
    """Redraw `fig` as the state of training: the loss and accuracy curves so far and, given a
    2-input model and its data, the decision boundary now (`callbacks.LiveView` shows it live)."""
    fig.clear()
    panels = _curve_panels(history, loss_name)
    boundary = model is not None and X is not None and y is not None and X.ndim == 2 and X.shape[1] == 2
    axes = fig.subplots(1, len(panels) + boundary, squeeze=False)[0]
    for ax, (key, label) in zip(axes, panels):
        draw_curve(ax, history, key, label)
    if boundary:
        draw_boundary(axes[-1], model, X, y, threshold=threshold, resolution=resolution,
                      title=f"Decision boundary after epoch {history.epochs}")
    if title:
        fig.suptitle(title)
    return fig


def png(figure: Figure, *, dpi: int = 100) -> bytes:
    """`figure` rendered as PNG bytes, in memory."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def layer_grad_norms(model: Module) -> list[float]:
    """The gradient norm of each layer with parameters (call after `backward()`)."""
    layers = [layer for layer in model.layers if layer.parameters()] if isinstance(model, (MLP, Sequential)) else [model]
    return [math.sqrt(math.fsum(p.grad * p.grad for p in layer.parameters())) for layer in layers]


def loss_grad_norms(model: Module, X: Sequence, y: Sequence, loss: str | losses.Loss, *, limit: int = 200) -> list[float]:
    """Per-layer gradient norms of the mean loss over (up to `limit` of) the points.

    Leaves every gradient at zero afterwards, so it never leaks into a training step.
    """
    model.zero_grad()
    loss_fn = losses.get(loss)
    rows, targets = np.asarray(X, dtype=float)[:limit].tolist(), np.asarray(y)[:limit].tolist()
    total = autograd.sum(map(loss_fn, model.forward_batch(rows), targets)) * (1.0 / len(rows))
    total.backward()
    norms = layer_grad_norms(model)
    model.zero_grad()
    return norms


def gradient_norms(norms: Sequence[float] | Module, *, title: str = "Gradient norm per layer") -> Figure:
    """A bar per layer of its gradient norm, on a log scale.

    Norms shrinking towards the input layer mean vanishing gradients (early layers barely
    learn); norms growing mean exploding ones.  Pass a model after `backward()`, or norms.
    """
    if isinstance(norms, Module):
        norms = layer_grad_norms(norms)
    norms = list(norms)
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.add_subplot()
    labels = [str(i) for i in range(1, len(norms) + 1)]  # short: a deep network has many
    heights = [max(n, 1e-30) for n in norms]
    bars = ax.bar(labels, heights, color=COLOURS[0])
    ax.bar_label(bars, labels=[f"{n:.2g}" for n in norms], padding=2)
    ax.set_yscale("log")
    ax.set_ylim(min(heights) / 10, max(heights) * 3)  # a log axis has no zero: show the ratios
    ax.set(title=title, xlabel="layer (input side first)", ylabel="||gradient||  (log scale)")
    ax.grid(axis="y", alpha=0.3)
    return fig


def gradient_norms_through_time(
    norms: Sequence[float] | dict[str, Sequence[float]], *, title: str = "Gradient reaching each time step",
    ylabel: str = "||dL/dh_t||",
) -> Figure:
    """||dL/dh_t|| (or `ylabel`'s quantity, an LSTM's ||dL/dc_t||) against the time step t, on a log
    scale: one line per labelled series.

    With the loss at the last step, a line falling towards t = 1 is the gradient vanishing
    back through time; rising, exploding.  Norms from `nets.recurrent.hidden_grad_norms`.
    """
    series = norms if isinstance(norms, dict) else {"": norms}
    fig = Figure(figsize=(6.5, 4), layout="constrained")
    ax = fig.add_subplot()
    for i, (label, values) in enumerate(series.items()):
        values = list(values)
        ax.plot(range(1, len(values) + 1), [max(v, 1e-30) for v in values], marker="o", markersize=3,
                color=COLOURS[i % len(COLOURS)], label=label or None)
    ax.set_yscale("log")
    ax.set(title=title, xlabel="time step t (the loss is at the end)", ylabel=f"{ylabel}  (log scale)")
    ax.grid(alpha=0.3)
    if any(series):
        ax.legend()
    return fig


def predictions(
    targets: Sequence[float], predicted: Sequence[float], *, baseline: Sequence[float] | None = None,
    title: str = "Predictions against targets",
) -> Figure:
    """Each prediction against its target (perfect ones lie on the diagonal), with its mean
    squared error; `baseline` adds a simple rule's predictions to compare with."""
    targets = np.asarray(targets, dtype=float)
    fig = Figure(figsize=(5, 5), layout="constrained")
    ax = fig.add_subplot()
    shown = [(N_("model"), predicted, COLOURS[0])] + ([(N_("baseline"), baseline, COLOURS[1])] if baseline is not None else [])
    for name, values, colour in shown:
        values = np.asarray(values, dtype=float)
        if values.shape != targets.shape:
            raise ValueError(Message("predictions: {name} has shape {shape} but the targets {targets}", name=Message(name),
                                     shape=values.shape, targets=targets.shape))
        mse = float(np.mean((values - targets) ** 2))
        ax.scatter(targets, values, s=12, alpha=0.6, color=colour, label=f"{name} (MSE {mse:.4f})")
    lo, hi = float(targets.min()), float(targets.max())
    ax.plot([lo, hi], [lo, hi], color="black", linewidth=0.8, label="perfect")
    ax.set(title=title, xlabel="target", ylabel="prediction", aspect="equal")
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def filters(conv: Conv2d, *, title: str = "Learned filters") -> Figure:
    """Each filter's weights as a small image, a column per filter and a row per input channel:
    red weights add the pixel under them, blue ones subtract it (white is 0)."""
    weights = np.array([[[[w.data for w in row] for row in channel] for channel in filt] for filt in conv.weight])
    cols, rows = weights.shape[:2]
    limit = max(float(np.abs(weights).max()), 1e-12)  # a symmetric scale: white is 0
    fig = Figure(figsize=(1.2 * cols + 1.4, 1.2 * rows + 0.8), layout="constrained")
    fig.suptitle(title)
    axes = fig.subplots(rows, cols, squeeze=False)
    for c in range(rows):
        for o in range(cols):
            image = axes[c][o].imshow(weights[o, c], cmap="RdBu_r", vmin=-limit, vmax=limit)
            axes[c][o].set(xticks=[], yticks=[])
            axes[0][o].set_title(f"filter {o}", fontsize=9)
        if rows > 1:
            axes[c][0].set_ylabel(f"input {c}", fontsize=9)
    fig.colorbar(image, ax=axes, shrink=0.8, label="weight")
    return fig


def feature_maps(model: Sequential, image: Sequence, *, title: str = "Feature maps") -> Figure:
    """One image, then the feature maps that come out of each Conv2d of `model` (no graph built).

    A convolution's output is signed, so each row of maps shares one symmetric red-blue scale
    (white is 0, red positive, blue negative) with its colour bar; the input is drawn in grey."""
    rows = [("input", np.asarray(image, dtype=float))]
    model.eval()
    with no_grad():
        x = image
        for i, module in enumerate(model):
            x = module(x)
            if isinstance(module, Conv2d):
                rows.append((N_("after {0}: {1}").format(i, type(module).__name__), np.array([[[v.data for v in r] for r in ch] for ch in x])))
    cols = max(len(maps) for _, maps in rows)
    fig = Figure(figsize=(1.3 * cols + 2.3, 1.4 * len(rows) + 0.6), layout="constrained")
    fig.suptitle(title)
    axes = fig.subplots(len(rows), cols, squeeze=False)
    for r, (name, maps) in enumerate(rows):
        limit = max(float(np.abs(maps).max()), 1e-12)
        scale = {"cmap": "gray_r"} if r == 0 else {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit}
        for c in range(cols):
            axes[r][c].axis("off")
            if c < len(maps):
                shown = axes[r][c].imshow(maps[c], **scale)
                axes[r][c].set_title(f"channel {c}", fontsize=8)
        fig.colorbar(shown, ax=axes[r].tolist(), shrink=0.9, label="pixel" if r == 0 else "output")
        axes[r][0].text(-0.15, 0.5, name, transform=axes[r][0].transAxes, ha="right", va="center", fontsize=9)
    return fig


def save(figure: Figure, path: str | os.PathLike[str], *, dpi: int = 120) -> str:
    """Write `figure` as PNG (or the format its suffix names) all or nothing: rendered in
    memory first, so a failure never leaves half a picture."""
    buffer = io.BytesIO()
    suffix = os.path.splitext(os.fspath(path))[1].lstrip(".").lower() or "png"
    figure.savefig(buffer, format=suffix, dpi=dpi)
    write_atomically(path, buffer.getvalue())
    return os.fspath(path)
