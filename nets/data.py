"""Toy datasets for classification, sequences, MNIST (`mnist`, from files), a mini-batch iterator, and image augmentation.

Every dataset returns `(X, y)`: X a float array of shape (n, features), y integer class
labels 0, 1, ...; a sequence dataset's X has shape (n, steps, features), and
`digits(images=True)` gives images of shape (n, 1, 8, 8).  The same seed always gives the
same points.
"""

from __future__ import annotations

import math
from typing import Iterator, Union

import numpy as np

from autograd.value import Message

from .mnist import mnist  # noqa: F401 - nets.data.mnist, with the other data sets

SeedLike = Union[int, np.random.Generator, None]


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four corners of the unit square, labelled x1 XOR x2.

    No single line separates the two classes, so one neuron cannot learn it; a hidden
    layer can (Minsky & Papert's classic objection to the perceptron).
    """
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return X, np.array([0, 1, 1, 0])


def moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: the classic small test of a curved decision boundary."""
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=_count(n, "moons"), noise=_noise(noise, "moons"), random_state=seed)
    return X, y.astype(int)


def circles(n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (class 1) inside a larger one (class 0)."""
    from sklearn.datasets import make_circles

    if not 0 < factor < 1:
        raise ValueError(Message("circles: factor (inner radius / outer radius) must be in (0, 1), got {factor!r}", factor=factor))
    X, y = make_circles(n_samples=_count(n, "circles"), noise=_noise(noise, "circles"), factor=factor, random_state=seed)
    return X, y.astype(int)


def spiral(n: int = 300, classes: int = 3, noise: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`classes` interleaved spiral arms (as in Stanford's CS231n), n points in all."""
    _count(n, "spiral")
    if isinstance(classes, bool) or not isinstance(classes, int) or classes < 2:
        raise ValueError(Message("spiral: classes must be an integer >= 2, got {classes!r}", classes=classes))
    rng = np.random.default_rng(seed)
    per_class = np.bincount(np.arange(n) % classes, minlength=classes)
    radius = np.concatenate([np.linspace(0.05, 1.0, k) for k in per_class])
    labels = np.repeat(np.arange(classes), per_class)
    angle = labels * (2 * np.pi / classes) + radius * 4.0 + rng.normal(0.0, _noise(noise, "spiral"), n)
    X = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
    return X, labels.astype(int)


BLOB_CENTRES_SEED = 0  # fixed: the seed of `blobs` draws points around the same centres


def blobs(n: int = 200, centers: int = 3, std: float = 1.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters, one per class: the easy, (nearly) linearly separable case.

    The cluster centres are the same for every seed (only the points change), so points
    drawn with another seed are held-out points of the same problem, as for the other sets.
    """
    from sklearn.datasets import make_blobs

    where = np.random.default_rng(BLOB_CENTRES_SEED).uniform(-10.0, 10.0, size=(_count(centers, "blobs", "centers"), 2))
    X, y = make_blobs(n_samples=_count(n, "blobs"), centers=where, cluster_std=std, random_state=seed)
    return X, y.astype(int)


def digits(split: str = "train", images: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 handwritten digits shipped with scikit-learn (1,797 images, no download).

    Pixels are scaled from 0..16 to [0, 1].  The train/test split is fixed (75% / 25%,
    stratified, random_state=0), so results are comparable across runs.  X has shape
    (n, 64), or with `images=True` (n, 1, 8, 8): one-channel images for a `Conv2d`.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if split not in ("train", "test"):
        raise ValueError(Message("digits: split must be 'train' or 'test', got {split!r}", split=split))
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25, random_state=0, stratify=y)
    X, y = (X_train, y_train) if split == "train" else (X_test, y_test)
    return (X.reshape(-1, 1, 8, 8) if images else X), y.astype(int)


def sine_waves(n: int = 200, length: int = 20, noise: float = 0.05, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Noisy sine waves, each of its own frequency and phase: predict the next value.

    X has shape (n, length, 1), the values x_1 ... x_T; y has shape (n,), x_{T+1}.  Each
    frequency is drawn from 0.15 to 0.45 radians per step, so a model must infer it from
    the sequence; the noise (standard deviation `noise`) is on every value, the target too.
    """
    _positive(n, "sine_waves", "n")
    _positive(length, "sine_waves", "length")
    rng = np.random.default_rng(seed)
    frequency = rng.uniform(0.15, 0.45, (n, 1))
    phase = rng.uniform(0.0, 2 * np.pi, (n, 1))
    series = np.sin(frequency * np.arange(length + 1) + phase) + rng.normal(0.0, _noise(noise, "sine_waves"), (n, length + 1))
    return series[:, :length, None], series[:, length]


def binary_addition(n: int = 200, bits: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of numbers a + b, bit by bit, least significant bit first (where the carry starts).

    X has shape (n, bits, 2): at step t, bit t of a and bit t of b; y has shape (n, bits), bit t
    of the sum.  a and b are below 2**(bits - 1), so the sum fits in `bits` bits.  A recurrent
    net learns the carry once and adds numbers of any length; a feed-forward net cannot.
    """
    _positive(n, "binary_addition", "n")
    if isinstance(bits, bool) or not isinstance(bits, int) or not 2 <= bits <= 62:
        raise ValueError(Message("binary_addition: bits must be an integer from 2 to 62, got {bits!r}", bits=bits))
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, 2 ** (bits - 1), (2, n))
    place = np.arange(bits)
    X = np.stack([(a[:, None] >> place) & 1, (b[:, None] >> place) & 1], axis=-1).astype(float)
    return X, ((a + b)[:, None] >> place) & 1


def augment(images: np.ndarray, *, seed: SeedLike = None, shift: float = 0.0, rotate: float = 0.0,
            noise: float = 0.0) -> np.ndarray:
    """New versions of `images`: each moved by up to `shift` pixels (both ways), turned by up to
    `rotate` degrees about its centre, plus Gaussian noise of standard deviation `noise`.

    A digit moved a pixel or turned a little is still the same digit, so image i of the
    result is a changed copy of image i and keeps its label: more training data for free.
    `images` is (n, height, width), (n, channels, height, width) as `digits(images=True)` gives and
    a CNN takes (every channel of an image moved and turned alike), or rows of a square image's
    pixels as `digits()` gives; the result has the same shape.  Pixels brought in from outside the picture are 0 (blank);
    values are clipped to the range of `images`.  The same seed gives the same images.
    """
    images = np.asarray(images, dtype=float)
    shape = images.shape
    side = math.isqrt(shape[1]) if images.ndim == 2 else 0
    channels = shape[1] if images.ndim == 4 else 1
    if images.ndim == 2 and side * side == shape[1]:
        images = images.reshape(len(images), side, side)
    elif images.ndim == 4:
        images = images.reshape(-1, *shape[2:])  # each channel an image; the same move for an image's channels
    elif images.ndim != 3:
        raise ValueError(Message("augment: images must be (n, height, width), (n, channels, height, width) or rows of a "
                                 "square image's pixels, got shape {shape}", shape=shape))
    shift, rotate = _non_negative(shift, "augment", "shift"), _non_negative(rotate, "augment", "rotate")
    noise = _non_negative(noise, "augment", "noise")
    bad = np.argwhere(~np.isfinite(images))
    if len(bad):  # one NaN pixel would spread through the interpolation and the clip to every image
        image, channel = divmod(int(bad[0][0]), channels)
        where = (Message("image {image}, channel {channel},", image=image, channel=channel) if channels > 1
                 else Message("image {image}", image=image))
        raise ValueError(Message("augment: images must be finite numbers; {where} has {value} at row {row}, column {column}",
                                 where=where, value=images[tuple(bad[0])], row=bad[0][1], column=bad[0][2]))
    if not images.size:
        return images.reshape(shape).copy()
    _, height, width = images.shape
    n = len(images) // channels
    rng = np.random.default_rng(seed)
    angle = np.repeat(np.deg2rad(rng.uniform(-rotate, rotate, n)), channels)[:, None, None]
    dy, dx = np.repeat(rng.uniform(-shift, shift, (2, n)), channels, axis=1)[:, :, None, None]
    # each output pixel takes its value from where it came from: undo the shift, then the turn
    rows, columns = np.mgrid[0:height, 0:width]
    cy, cx = (height - 1) / 2, (width - 1) / 2
    y, x = rows - cy - dy, columns - cx - dx
    result = _bilinear(images, np.cos(angle) * y - np.sin(angle) * x + cy, np.sin(angle) * y + np.cos(angle) * x + cx)
    if noise:
        result += rng.normal(0.0, noise, result.shape)
    return np.clip(result, images.min(), images.max()).reshape(shape)


def _bilinear(images: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """images[k] read at the fractional positions (y[k], x[k]), weighting the 4 nearest pixels; 0 outside."""
    n, height, width = images.shape
    k = np.arange(n)[:, None, None]
    y0, x0 = np.floor(y).astype(int), np.floor(x).astype(int)
    result = np.zeros(y.shape)
    for row, wy in ((y0, y0 + 1 - y), (y0 + 1, y - y0)):
        for column, wx in ((x0, x0 + 1 - x), (x0 + 1, x - x0)):
            inside = (row >= 0) & (row < height) & (column >= 0) & (column < width)
            pixel = images[k, np.clip(row, 0, height - 1), np.clip(column, 0, width - 1)]
            result += np.where(inside, wy * wx * pixel, 0.0)
    return result


def batches(
    X: np.ndarray, y: np.ndarray, batch_size: int | None = None, *, shuffle: bool = True, seed: SeedLike = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield `(X_batch, y_batch)` pairs covering the data once (one epoch).

    Shuffling each epoch stops the network seeing the same batches in the same order.
    `batch_size=None` gives one full batch.  Pass a seed (or a NumPy Generator, shared
    across epochs) for reproducible orders.
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(Message("batches: X has {rows} rows but y has {labels} labels", rows=len(X), labels=len(y)))
    if batch_size is None:
        batch_size = max(len(X), 1)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(Message("batches: batch_size must be a positive integer or None, got {batch_size!r}", batch_size=batch_size))
    order = np.random.default_rng(seed).permutation(len(X)) if shuffle else np.arange(len(X))
    for start in range(0, len(X), batch_size):
        chosen = order[start : start + batch_size]
        yield X[chosen], y[chosen]


def _count(n: object, who: str, what: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(Message("{who}: {what} must be an integer >= 2, got {n!r}", who=who, what=what, n=n))
    return n


def _positive(n: object, who: str, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(Message("{who}: {what} must be a positive integer, got {n!r}", who=who, what=what, n=n))
    return n


def _noise(noise: object, who: str) -> float:
    return _non_negative(noise, who, "noise")


def _non_negative(x: object, who: str, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not (math.isfinite(x) and x >= 0):
        raise ValueError(Message("{who}: {what} must be a non-negative number, got {x!r}", who=who, what=what, x=x))
    return float(x)
