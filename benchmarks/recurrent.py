"""Workload 6: recurrent networks learning the two classic sequence tasks (stepgrad only).

Binary addition: `RNNModel(2, 8, return_sequences=True)`, one logit per bit, binary
cross-entropy with logits, Adam lr 0.05, batches of 16, on 200 8-bit pairs (seed 0); accuracy
is the share of held-out pairs (seed 1, pairs seen in training removed) with every bit
of the sum right, and the same on 16-bit pairs, a length never seen in training.
Sine: `RNNModel(1, 8)` reads 20 noisy values (200 training sequences) and predicts the next (MSE, Adam lr 0.02,
batches of 8), against the baseline that repeats the last value.  micrograd 0.1.0 has no
tanh, exp or log, so there is no comparison.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

import nets

from .common import Row, Sizes, timed

NO_RNN = "n/a (micrograd 0.1.0 has no tanh/exp/log)"
BITS, HIDDEN, LENGTH = 8, 8, 20


def run(sizes: Sizes, mg: ModuleType | None) -> list[Row]:
    return addition(sizes) + sine(sizes)


def addition(sizes: Sizes) -> list[Row]:
    X, y = nets.data.binary_addition(sizes.rnn_sequences, BITS, seed=0)
    model = nets.RNNModel(2, HIDDEN, return_sequences=True, seed=0)
    optimizer = nets.optim.Adam(model.parameters(), lr=0.05)
    seconds, _ = timed(lambda: nets.fit(model, X, y, loss="bce_with_logits", optimizer=optimizer,
                                        epochs=sizes.rnn_epochs, batch_size=16, seed=0, progress=False))
    X_test, y_test = held_out(X, *nets.data.binary_addition(1000, BITS, seed=1))
    _, accuracy = nets.evaluate(model, X_test, y_test, loss="bce_with_logits")
    _, longer = nets.evaluate(model, *nets.data.binary_addition(500, 2 * BITS, seed=2), loss="bce_with_logits")
    notes = {"training pairs": len(X), "held-out pairs": len(X_test), "epochs": sizes.rnn_epochs, "optimizer": "Adam lr 0.05, batches of 16"}
    return [
        Row(f"binary addition: training time, {sizes.rnn_epochs} epochs", "s", seconds, NO_RNN,
            target="< 60 s", met=seconds < 60, notes=notes),
        Row(f"binary addition: held-out {BITS}-bit pairs, every bit right", "%", 100 * accuracy, NO_RNN,
            target="100%", met=accuracy == 1.0),
        Row(f"binary addition: {2 * BITS}-bit pairs (a length never trained on)", "%", 100 * longer, NO_RNN),
    ]


def held_out(X_train: np.ndarray, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The test pairs that are not among the training pairs."""
    seen = {x.tobytes() for x in X_train}
    keep = [i for i, x in enumerate(X) if x.tobytes() not in seen]
    return X[keep], y[keep]


def sine(sizes: Sizes) -> list[Row]:
    X, y = nets.data.sine_waves(sizes.rnn_sequences, LENGTH, seed=0)
    X_test, y_test = nets.data.sine_waves(500, LENGTH, seed=1)
    model = nets.RNNModel(1, HIDDEN, seed=0)
    optimizer = nets.optim.Adam(model.parameters(), lr=0.02)
    seconds, _ = timed(lambda: nets.fit(model, X, y, loss="mse", optimizer=optimizer, epochs=sizes.rnn_epochs,
                                        batch_size=8, seed=0, metrics=(), progress=False))
    mse, _ = nets.evaluate(model, X_test, y_test, loss="mse")
    baseline = float(np.mean((X_test[:, -1, 0] - y_test) ** 2))
    notes = {"test MSE": mse, "baseline test MSE (repeat the last value)": baseline, "training sequences": len(X),
             "length": LENGTH, "epochs": sizes.rnn_epochs, "optimizer": "Adam lr 0.02, batches of 8"}
    return [
        Row(f"sine: training time, {sizes.rnn_epochs} epochs", "s", seconds, NO_RNN, target="< 60 s", met=seconds < 60),
        Row("sine: test MSE / the repeat-the-last-value baseline's", "x", mse / baseline, NO_RNN,
            target="< 1x", met=mse < baseline, notes=notes),
    ]
