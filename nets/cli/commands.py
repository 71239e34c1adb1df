"""What `stepgrad train` and `stepgrad demo` do (nets/cli/__init__.py parses their arguments)."""

from __future__ import annotations

import argparse
import inspect
import os
import time
from typing import Any, Mapping

import numpy as np

import autograd
from autograd import Value
from autograd.compile import available_memory
from autograd.files import write_atomically
from autograd.i18n import N_, font, gettext as _

from .. import data, datasets, losses, optim
from ..callbacks import ClipGradNorm, MaxNorm
from ..conv import Conv2d, MaxPool2d
from ..dense import MLP, Linear, Neuron
from ..language import figures_in
from ..layers import ACTIVATION_MODULES, Dropout, Flatten
from ..module import Module
from ..plot import decision_boundary, filters, gradient_norms, loss_curves, loss_grad_norms, save
from ..sequential import Sequential
from ..outputs import threshold_for
from ..history import History
from ..training import evaluate, fit

DEFAULT_CHANNELS = 8  # --model cnn: filters in the convolution


def train(args: argparse.Namespace) -> None:
    if args.model == "mlp" and args.channels is not None:
        raise ValueError(_("--channels is for --model cnn"))
    if args.plots:
        make_directory(args.plots)  # before training, like --save: a typo must not waste the run
    if args.model == "cnn" and not datasets.DATASETS[args.data].images:
        raise ValueError(_("--model cnn needs images, and --data {data} is points; use --data digits or mnist").format(
            data=args.data))
    if args.model == "cnn" and args.activation not in ACTIVATION_MODULES:
        raise ValueError(_("--model cnn takes --activation {choices}, not {activation}").format(
            choices=_(" or ").join(ACTIVATION_MODULES), activation=args.activation))
    X, y, X_test, y_test = datasets.load(args.data, args.samples, args.seed, images=args.model == "cnn",
                                         folder=args.data_dir)
    with_recipe(args, datasets.DATASETS[args.data].recipe)
    X, y, X_val, y_val = split_validation(X, y, args.validation_split, args.seed)
    classes = int(y.max()) + 1
    loss = args.loss or ("hinge" if classes == 2 else "cross_entropy")
    entry = losses.LOSSES[loss]
    if not (entry.per_class or entry.one_hot) and classes != 2:
        raise ValueError(_("--loss {loss} needs two classes but --data {data} has {classes}; use --loss cross_entropy").format(
            loss=loss, data=args.data, classes=classes))
    one_hot = entry.one_hot and classes > 2  # one sigmoid output per class, the label one-hot inside the loss
    outputs = classes if entry.per_class or one_hot else 1
    check_memory(args, X.shape[1:], outputs, args.batch_size or len(X))
    model = build_cnn(args, X.shape[1:], outputs) if args.model == "cnn" else MLP(
        X.shape[1],
        [*(args.hidden if args.hidden is not None else [16, 16]), outputs],
        activation=args.activation,
        output_activation="sigmoid" if one_hot else entry.output_activation,
        seed=args.seed,
        dropout=args.dropout,
    )
    params = model.parameters()
    registered = optim.OPTIMIZERS[args.optimizer]
    if args.momentum and "momentum" not in inspect.signature(registered.make).parameters:
        raise ValueError(_("--momentum is for --optimizer sgd; {name} keeps its own momentum").format(
            name=registered.make.__name__))
    options = {"momentum": args.momentum} if args.momentum else {}
    lr = args.lr or registered.lr
    optimizer = registered.make(params, lr, weight_decay=args.weight_decay, **options)
    description = " -> ".join(map(repr, model)) if isinstance(model, Sequential) else repr(model)
    print(_("{model}: {parameters} parameters, {points} training points, loss {loss}, {optimizer}").format(
        model=description, parameters=model.num_parameters(), points=len(X), loss=loss, optimizer=args.optimizer))
    batches = _("full batch") if args.batch_size is None else _("batches of {n}").format(n=args.batch_size)
    print(_("lr {lr:g}, {epochs} epochs, {batches}, {validation} validation points split off{compiled}").format(
        lr=lr, epochs=args.epochs, batches=batches, validation=len(X_val),
        compiled=_(", compiled (--compiled: whole batches with NumPy)") if args.compiled else ""))
    schedule = None if args.final_lr is None else optim.LinearDecay(optimizer, args.final_lr, max(args.epochs - 1, 1))
    steering = ([MaxNorm(args.max_norm)] if args.max_norm else []) + ([ClipGradNorm(args.clip)] if args.clip else [])
    start = time.process_time()
    history = fit(model, X, y, loss=loss, optimizer=optimizer, epochs=args.epochs, batch_size=args.batch_size,
                  validation_data=(X_val, y_val) if len(X_val) else None, progress=not args.quiet, seed=args.seed,
                  schedule=schedule, compiled=args.compiled, callbacks=steering)
    print(_("trained in {seconds:.1f} s of CPU time{compiled}").format(
        seconds=time.process_time() - start, compiled=_(" (compiled)") if args.compiled else ""))
    train_accuracy, _test = _report(model, X, y, X_test, y_test, loss, validation=(X_val, y_val))
    hint = chance_hint(train_accuracy, y, lr)
    if hint:
        print(hint)
    if args.save:
        model.save(args.save)
        print(_("saved the model to {path}").format(path=args.save))
    if args.plots:
        if isinstance(model, MLP):
            shape = "-".join(str(n) for n in [model.nin, *model.nouts])
        else:
            shape = _("{n}-filter convolutional").format(n=model[0].out_channels)
        written = write_plots(model, history, X, y, loss, args.plots,
                              _("{data}: {shape} {activation} network").format(data=args.data, shape=shape,
                                                                              activation=args.activation),
                              validation=_("validation: {n} points split off the training data").format(n=len(X_val)))
        print(_("wrote {path}").format(path=", ".join(written)))


def demo(args: argparse.Namespace) -> None:
    """micrograd's demo, faster: a 2-16-16-1 relu network learns two moons with the hinge loss."""
    make_directory(args.out)  # before training, as train --plots
    X, y = data.moons(n=100, noise=0.1, seed=0)
    X_val, y_val = data.moons(n=100, noise=0.1, seed=1)  # small: it is evaluated every epoch
    X_test, y_test = data.moons(n=500, noise=0.1, seed=2)
    model = MLP(2, [16, 16, 1], activation="relu", seed=0)
    optimizer = optim.SGD(model.parameters(), lr=1.0, weight_decay=2e-4)  # = hinge + 1e-4 * sum(p^2)
    print(_("{model}: {parameters} parameters; 100 moons points, hinge loss, full-batch SGD, lr 1.0 -> 0.1").format(
        model=model, parameters=model.num_parameters()))
    start = time.perf_counter()
    history = fit(model, X, y, loss="hinge", optimizer=optimizer, epochs=100, progress=not args.quiet,
                  validation_data=(X_val, y_val), seed=0, schedule=optim.LinearDecay(optimizer, 0.1, 100))
    print(_("trained in {seconds:.1f} s").format(seconds=time.perf_counter() - start))
    _train, test_accuracy = _report(model, X, y, X_test, y_test, "hinge")
    title = _("Two moons, 2-16-16-1 relu network: {accuracy:.1%} held-out accuracy").format(accuracy=test_accuracy)
    written = write_plots(model, history, X, y, "hinge", args.out, title, grads=False,
                          validation=_("validation: {n} other moons points (seed 1)").format(n=len(X_val)))
    written.append(write_neuron_graph(model, X, os.path.join(args.out, "neuron.svg")))
    print(_("wrote {path}").format(path=", ".join(written)))


# the system's reasons a folder cannot be made, for the catalogue (`_(error.strerror)`; others stay the system's)
OS_REASONS = (N_("Not a directory"), N_("Permission denied"), N_("File exists"), N_("Read-only file system"),
              N_("No space left on device"))


def make_directory(path: str) -> None:
    """Create `path` (and its parents) now, or raise a one-line error saying why it cannot be."""
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as error:
        why = _(error.strerror) if error.strerror else error
        raise ValueError(_("cannot write plots into {path!r}: {why}").format(path=path, why=why)) from None
    if not os.access(path, os.W_OK):
        raise ValueError(_("cannot write plots into {path!r}: {why}").format(path=path, why=_("permission denied")))


# Measured (tracemalloc, an MLP on the digits): a parameter costs about 180 bytes (its Value and
# the optimiser's state), and each weight a batch's graph or tape reads, about 26-34 bytes per example.
BYTES_PER_PARAMETER = 250
BYTES_PER_WEIGHT_AND_EXAMPLE = 40


def check_memory(args: argparse.Namespace, shape: tuple[int, ...], outputs: int, batch: int) -> None:
    """Refuse, in one line before anything is built, a network and batch that cannot fit in memory."""
    if args.model == "cnn":
        channels, height, width = shape
        filters = args.channels or DEFAULT_CHANNELS
        conv = filters * (channels * 9 + 1)
        sizes = [filters * ((height - 2) // 2) * ((width - 2) // 2), *(args.hidden or []), outputs]
        read = conv * (height - 2) * (width - 2)  # the filters, at every position of an image
    else:
        sizes = [int(np.prod(shape)), *(args.hidden if args.hidden is not None else [16, 16]), outputs]
        conv = read = 0
    dense = sum((nin + 1) * nout for nin, nout in zip(sizes, sizes[1:]))
    needed = (conv + dense) * BYTES_PER_PARAMETER + (read + dense) * batch * BYTES_PER_WEIGHT_AND_EXAMPLE
    room = available_memory()
    if room is not None and needed > room:
        raise ValueError(_("this network ({parameters:,} parameters) on batches of {batch:,} needs about {needed:,.1f} GiB "
                           "of memory, more than the {room:,.1f} GiB available; use smaller --hidden, --samples or "
                           "--batch-size").format(parameters=conv + dense, batch=batch, needed=needed / 2**30,
                                                  room=room / 2**30))


def build_cnn(args: argparse.Namespace, image_shape: tuple[int, ...], outputs: int) -> Sequential:
    """`--model cnn`, the network of `benchmarks/cnn.py`: a 3x3 convolution (no padding), 2x2
    max pooling, the activation (after the pooling: the same function as before it, with a
    quarter of the nodes), then dense layers, each after Dropout if `--dropout` is set."""
    channels, height, width = image_shape
    n_filters = args.channels or DEFAULT_CHANNELS
    act = ACTIVATION_MODULES[args.activation]
    init = "he_uniform" if args.activation in ("relu", "leaky_relu") else "xavier_uniform"
    sizes = [n_filters * ((height - 2) // 2) * ((width - 2) // 2), *(args.hidden or []), outputs]
    dense: list[Module] = []
    for i, (nin, nout) in enumerate(zip(sizes, sizes[1:])):
        if i:
            dense.append(act())
        if args.dropout:
            dense.append(Dropout(args.dropout, seed=args.seed + i))
        hidden = i < len(sizes) - 2
        dense.append(Linear(nin, nout, init=init if hidden else None, seed=args.seed + i))
    conv = Conv2d(channels, n_filters, 3, seed=args.seed, init=init)
    return Sequential(conv, MaxPool2d(2), act(), Flatten(), *dense)


def write_plots(model: Module, history: History, X: np.ndarray, y: np.ndarray, loss: str, directory: str,
                title: str, *, grads: bool = True, validation: str = "validation") -> list[str]:
    """Loss curves, the decision boundary (2-D data), per-layer gradient norms and a CNN's filters, as PNGs,
    their words in the language in force."""
    os.makedirs(directory, exist_ok=True)
    with figures_in():
        return _plots(model, history, X, y, loss, directory, title, grads=grads, validation=validation)


def _plots(model: Module, history: History, X: np.ndarray, y: np.ndarray, loss: str, directory: str,
           title: str, *, grads: bool, validation: str) -> list[str]:
    figures = {"loss_curve.png": loss_curves(history, title=title, loss_name=_("{loss} loss").format(loss=_(losses.LOSSES[loss].title)),
                                             validation_name=validation)}
    if isinstance(model, Sequential) and isinstance(model[0], Conv2d):
        figures["filters.png"] = filters(model[0], title=_("{title}: learned filters").format(title=title))
    if X.ndim == 2 and X.shape[1] == 2:
        figures["decision_boundary.png"] = decision_boundary(model, X, y, threshold=threshold_for(loss), title=title)
    if grads:
        figures["gradient_norms.png"] = gradient_norms(loss_grad_norms(model, X, y, loss))
    return [save(figure, os.path.join(directory, name)) for name, figure in figures.items()]


def write_neuron_graph(model: MLP, X: np.ndarray, path: str) -> str:
    """Draw one first-layer neuron, every multiply and add, with gradients, on one data point.

    Picks a point where the neuron is active, so the gradients are not all zero.
    """
    from autograd.draw import draw_graph, render

    trained = model.layers[0].neurons[0]
    neuron = Neuron(trained.nin, trained.activation, fused=False)
    neuron.load_state_dict(trained.state_dict())
    with autograd.no_grad():
        active = [row for row in X.tolist() if neuron(row).data > 0]
    index = next((i for i, row in enumerate(X.tolist()) if row in active), 0)
    point = X[index].tolist()
    out = neuron([Value(v, label=f"x{i + 1}") for i, v in enumerate(point)])
    out.label = "out"
    out.backward()
    graph = draw_graph(out, show_grad=True, params=neuron.parameters())
    inputs = ", ".join(f"x{i + 1} = {v:.3f}" for i, v in enumerate(point))
    formula = f"out = {trained.activation}({' + '.join(f'w{i + 1}*x{i + 1}' for i in range(len(point)))} + b)"
    graph.attr(labelloc="t", fontname=font("Helvetica"), fontsize="12", label="\n".join((
        _("Neuron 1 of the first layer, trained, on training point {n} ({inputs})").format(n=index + 1, inputs=inputs),
        _("{formula}; each grad is d(out)/d(that value), from out.backward()").format(formula=formula),
        _("blue: the neuron's parameters (weights, bias)   grey: the data point   green: the output   "
          "white: values in between"))))
    try:
        return str(render(graph, path))
    except FileNotFoundError as missing_dot:  # no Graphviz `dot`: keep the DOT source, say what to install
        dot_path = write_atomically(os.path.splitext(path)[0] + ".dot", graph.source)
        print(_("could not render {path}: {why}; wrote {dot_path} instead").format(path=path, why=missing_dot,
                                                                                  dot_path=dot_path))
        return str(dot_path)


def with_recipe(args: argparse.Namespace, recipe: Mapping[str, Any]) -> None:
    """Fill the flags not given from --data's recipe, then from the general defaults.  The
    recipe's lr goes with its optimiser: `--optimizer sgd` on digits takes SGD's own lr."""
    chosen = args.optimizer
    for flag, value in recipe.items():
        if flag == "lr" and chosen not in (None, recipe.get("optimizer")):
            continue
        if getattr(args, flag) is None:
            setattr(args, flag, value)
    for flag, value in datasets.DEFAULT_RECIPE.items():
        if getattr(args, flag) is None:
            setattr(args, flag, value)


def split_validation(X: np.ndarray, y: np.ndarray, fraction: float, seed: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, y_train, X_val, y_val): `fraction` of the points, drawn by `seed`, held back to validate on."""
    count = round(len(X) * fraction)
    if fraction and not 1 <= count < len(X):
        raise ValueError(_("--validation-split {fraction:g} of {n} training points leaves {left} to train on and "
                           "{count} to validate on; give a fraction that leaves both some, or 0").format(
            fraction=fraction, n=len(X), left=len(X) - count, count=count))
    order = np.random.default_rng(seed).permutation(len(X))
    return X[order[count:]], y[order[count:]], X[order[:count]], y[order[:count]]


CHANCE_MARGIN = 0.02  # a train accuracy within this of always answering the commonest class is "at chance"


def chance_hint(train_accuracy: float, y: np.ndarray, lr: float) -> str | None:
    """One line when the network learned nothing: as accurate as always answering the commonest class.
    Usually the learning rate was too large (relu units died, or the scores saturated)."""
    labels = np.where(np.asarray(y) == -1, 0, y).astype(int)
    chance = np.bincount(labels).max() / len(labels)
    if train_accuracy > chance + CHANCE_MARGIN:
        return None
    return _("hint: the network ended at chance ({accuracy:.1%}, as good as always guessing the commonest class, "
             "{chance:.1%}); try a smaller --lr, e.g. {smaller:g}").format(
        accuracy=train_accuracy, chance=chance, smaller=lr / 100)


def _report(model: Module, X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, loss: str,
            validation: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[float, float]:
    """Print the train (and validation) accuracy, then the test accuracy, measured once, here;
    return (train accuracy, test accuracy)."""
    train_accuracy = evaluate(model, X, y, loss=loss)[1]
    print(_("train accuracy: {train:.1%}").format(train=train_accuracy))
    if validation is not None and len(validation[0]):
        print(_("validation accuracy: {accuracy:.1%} ({n} points split off the training data)").format(
            accuracy=evaluate(model, *validation, loss=loss)[1], n=len(validation[0])))
    test_accuracy = evaluate(model, X_test, y_test, loss=loss)[1]
    held_out = _("the training points again") if np.array_equal(X, X_test) else _("{n} held-out points").format(n=len(X_test))
    print(_("test accuracy: {test:.1%} ({held_out}, measured once, after training)").format(
        test=test_accuracy, held_out=held_out))
    return train_accuracy, test_accuracy

