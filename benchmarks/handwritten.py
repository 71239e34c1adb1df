"""Hand-written NumPy training steps: the floor a NumPy replay of the tape is measured against.

Each class is what a NumPy user writes for one benchmarked network: forward with matrix
products (rows = examples), backward by hand, then the optimiser's formula, on one flat
float64 vector of parameters in the model's order (so an update is a few array operations,
and the weights compare with the model's directly).  The layouts follow the models:
a dense layer is `nout` neurons of `nin` weights then a bias; a convolution is its
(out, in, k, k) weights then its biases.  `benchmarks/compiled.py` checks each against the
tape's numbers before timing them side by side.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from nets import optim


class Optimiser:
    """`nets.optim.SGD` (weight decay, no momentum) or `Adam` (torch's algorithm), on the flat vectors: the same formulas."""

    def __init__(self, optimizer: optim.Optimizer, size: int) -> None:
        self.adam = isinstance(optimizer, optim.Adam)
        self.lr, self.wd = optimizer.lr, optimizer.weight_decay
        if self.adam:
            self.b1, self.b2, self.eps = optimizer.beta1, optimizer.beta2, optimizer.eps
            self.m, self.s, self.t = np.zeros(size), np.zeros(size), 0
        elif optimizer.momentum:
            raise ValueError("handwritten: SGD momentum is not written here")

    def step(self, theta: np.ndarray, grad: np.ndarray) -> None:
        g = grad + self.wd * theta if self.wd else grad
        if not self.adam:
            theta -= self.lr * g
            return
        self.t += 1
        self.m *= self.b1
        self.m += (1 - self.b1) * g
        self.s *= self.b2
        self.s += (1 - self.b2) * (g * g)
        m_hat = self.m / (1 - self.b1**self.t)
        v_hat = self.s / (1 - self.b2**self.t)
        theta -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def _dense_views(vector: np.ndarray, offset: int, nin: int, nout: int) -> tuple[np.ndarray, np.ndarray]:
    """(W, b) of a dense layer as views into the flat vector: W (nout, nin), b (nout,)."""
    block = vector[offset:offset + nout * (nin + 1)].reshape(nout, nin + 1)
    return block[:, :nin], block[:, nin]


class MLPStep:
    """An MLP of dense layers, relu between them, a linear output; hinge (one output) or cross-entropy."""

    def __init__(self, sizes: Sequence[int], theta: Sequence[float], optimizer: optim.Optimizer, loss: str) -> None:
        self.theta = np.array(theta, dtype=float)
        self.grad = np.zeros_like(self.theta)
        self.layers, offset = [], 0
        for nin, nout in zip(sizes, sizes[1:]):
            self.layers.append((_dense_views(self.theta, offset, nin, nout), _dense_views(self.grad, offset, nin, nout)))
            offset += nout * (nin + 1)
        self.loss = loss
        self.optimiser = Optimiser(optimizer, len(self.theta))

    def step(self, X: np.ndarray, y: np.ndarray) -> float:
        activations = [X]
        for i, ((W, b), _) in enumerate(self.layers):
            z = activations[-1] @ W.T + b
            activations.append(np.maximum(z, 0.0) if i < len(self.layers) - 1 else z)
        loss, dz = _loss(self.loss, activations[-1], y)
        for i in range(len(self.layers) - 1, -1, -1):
            (W, _), (gW, gb) = self.layers[i]
            np.matmul(dz.T, activations[i], out=gW)
            dz.sum(axis=0, out=gb)
            if i:
                dz = (dz @ W) * (activations[i] > 0)
        self.optimiser.step(self.theta, self.grad)
        return loss


def _loss(kind: str, z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """The batch's mean loss and its gradient with respect to the outputs z (B, outputs)."""
    B = len(y)
    if kind == "hinge":  # labels 0/1: margin 1 + s for class 0, 1 - s for class 1
        sign = np.where(y == 1, -1.0, 1.0)[:, None]
        margin = 1.0 + sign * z
        return float(np.maximum(margin, 0.0).sum()) / B, (margin > 0) * sign / B
    m = z.max(axis=1, keepdims=True)
    e = np.exp(z - m)
    total = e.sum(axis=1, keepdims=True)
    rows = np.arange(B)
    loss = float((np.log(total[:, 0]) + m[:, 0] - z[rows, y]).sum()) / B
    dz = e / total
    dz[rows, y] -= 1.0
    return loss, dz / B


class CNNStep:
    """Conv2d(1, C, 3) -> MaxPool2d(2) -> ReLU -> Flatten -> Linear(C * h * w, classes), cross-entropy:
    the convolution as patches (im2col) and one matrix product."""

    def __init__(self, side: int, channels: int, classes: int, theta: Sequence[float], optimizer: optim.Optimizer) -> None:
        self.theta = np.array(theta, dtype=float)
        self.grad = np.zeros_like(self.theta)
        self.C, conv = channels, 9 * channels
        self.K, self.gK = self.theta[:conv].reshape(channels, 9), self.grad[:conv].reshape(channels, 9)
        self.kb, self.gkb = self.theta[conv:conv + channels], self.grad[conv:conv + channels]
        self.maps = side - 2
        self.pooled = self.maps // 2
        features = channels * self.pooled * self.pooled
        self.dense = (_dense_views(self.theta, conv + channels, features, classes),
                      _dense_views(self.grad, conv + channels, features, classes))
        r, c = np.meshgrid(np.arange(self.maps), np.arange(self.maps), indexing="ij")
        di, dj = np.meshgrid(np.arange(3), np.arange(3), indexing="ij")
        self.patches = ((r.reshape(-1, 1) + di.reshape(1, -1)) * side + c.reshape(-1, 1) + dj.reshape(1, -1))  # (positions, 9)
        self.optimiser = Optimiser(optimizer, len(self.theta))

    def step(self, X: np.ndarray, y: np.ndarray) -> float:
        B, C, p, q = len(y), self.C, self.pooled, self.maps
        P = X.reshape(B, -1)[:, self.patches]  # (B, positions, 9)
        conv = np.einsum("bpk,ck->bcp", P, self.K) + self.kb[None, :, None]  # (B, C, positions)
        windows = conv.reshape(B, C, p, 2, p, 2).transpose(0, 1, 2, 4, 3, 5).reshape(B, C, p, p, 4)
        best = windows.argmax(axis=-1)
        pooled = np.take_along_axis(windows, best[..., None], axis=-1)[..., 0]
        features = np.maximum(pooled, 0.0).reshape(B, -1)
        (W, b), (gW, gb) = self.dense
        loss, dz = _loss("cross_entropy", features @ W.T + b, y)
        np.matmul(dz.T, features, out=gW)
        dz.sum(axis=0, out=gb)
        dpooled = (dz @ W).reshape(B, C, p, p) * (pooled > 0)
        dwindows = np.zeros((B, C, p, p, 4))
        np.put_along_axis(dwindows, best[..., None], dpooled[..., None], axis=-1)
        dconv = dwindows.reshape(B, C, p, p, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(B, C, q * q)
        np.einsum("bcp,bpk->ck", dconv, P, out=self.gK)
        dconv.sum(axis=(0, 2), out=self.gkb)
        self.optimiser.step(self.theta, self.grad)
        return loss
