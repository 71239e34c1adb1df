"""Workload 7: a small CNN on the 8x8 digits as images (stepgrad only).

Schedule: `Sequential(Conv2d(1, 8, 3), MaxPool2d(2), ReLU(), Flatten(), Linear(72, 10))`
(810 parameters; no padding, so 6x6 maps, pooled to 3x3; pooling before ReLU computes the
same function as after it, since max and relu commute, with a quarter of the relu nodes),
seed 0, Adam with the learning rate falling linearly from 0.03 to 0.001 over the epochs,
mini-batches of 16, one `nets.fit` call (shuffle seed 0), on the fixed 75% / 25% split of
`nets.data.digits`.  `stepgrad train --data digits --model cnn --optimizer adam --lr 0.03
--final-lr 0.001 --epochs 8 --batch-size 16` trains the same network.  Both wall-clock and
CPU time are reported: on a shared machine the CPU time is the steadier.  The same schedule
runs again through `fit(compiled=True)` (`autograd.compile`), from the same initial weights.
"""

from __future__ import annotations

import time
from types import ModuleType

import numpy as np

import nets
from nets import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential

from .common import Row, Sizes
from .digits import NO_CROSS_ENTROPY

LEARNING_RATES = (0.03, 0.001)
BATCH_SIZE = 16


def train(X: np.ndarray, y: np.ndarray, epochs: int, compiled: bool) -> tuple[Sequential, float, float]:
    """The schedule above, from the same initial weights: (model, wall-clock s, CPU s)."""
    model = Sequential(Conv2d(1, 8, 3, seed=0), MaxPool2d(2), ReLU(), Flatten(), Linear(72, 10, seed=0))
    optimizer = nets.optim.Adam(model.parameters(), lr=LEARNING_RATES[0])
    schedule = nets.optim.LinearDecay(optimizer, LEARNING_RATES[1], max(epochs - 1, 1))
    wall, cpu = time.perf_counter(), time.process_time()
    nets.fit(model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=epochs,
             batch_size=BATCH_SIZE, seed=0, progress=False, schedule=schedule, compiled=compiled)
    return model, time.perf_counter() - wall, time.process_time() - cpu


def run(sizes: Sizes, mg: ModuleType | None) -> list[Row]:
    X_train, y_train = nets.data.digits("train", images=True)
    X_test, y_test = nets.data.digits("test", images=True)
    if sizes.digits_rows is not None:
        X_train, y_train = X_train[: sizes.digits_rows], y_train[: sizes.digits_rows]
    epochs = sizes.cnn_epochs
    model, wall, cpu = train(X_train, y_train, epochs, compiled=False)
    _, accuracy = nets.evaluate(model, X_test, y_test, loss="cross_entropy")
    compiled_model, compiled_wall, compiled_cpu = train(X_train, y_train, epochs, compiled=True)
    _, compiled_accuracy = nets.evaluate(compiled_model, X_test, y_test, loss="cross_entropy")
    schedule_notes = {"model": " -> ".join(map(repr, model)), "parameters": model.num_parameters(), "epochs": epochs,
                      "optimizer": f"Adam lr {LEARNING_RATES[0]} -> {LEARNING_RATES[1]}, linear",
                      "batch size": BATCH_SIZE, "training rows": len(X_train), "test rows": len(X_test)}
    s = "s" * (epochs != 1)
    return [
        Row(f"cnn: training time, {epochs} epoch{s}", "s", wall, NO_CROSS_ENTROPY, target="< 120 s", met=wall < 120,
            notes=schedule_notes),
        Row(f"cnn: training CPU time, {epochs} epoch{s}", "s", cpu, NO_CROSS_ENTROPY),
        Row("cnn: test accuracy", "%", 100 * accuracy, NO_CROSS_ENTROPY, target=">= 97%", met=accuracy >= 0.97),
        Row(f"cnn compiled: training CPU time, {epochs} epoch{s}", "s", compiled_cpu, NO_CROSS_ENTROPY,
            target="< 20 s", met=compiled_cpu < 20,
            notes={"the same schedule through": "fit(compiled=True)", "wall-clock seconds": compiled_wall,
                   "speed-up on CPU time": cpu / compiled_cpu}),
        Row("cnn compiled: test accuracy", "%", 100 * compiled_accuracy, NO_CROSS_ENTROPY, target=">= 97%",
            met=compiled_accuracy >= 0.97),
    ]
