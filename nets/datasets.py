"""The data sets by name, each with held-out points: what `stepgrad train --data` offers.

`nets.data` makes the points; this is the list of them, one entry each.  Only loading
imports NumPy and scikit-learn, so the command line can list the names and still start fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

from autograd.value import Message

if TYPE_CHECKING:
    import numpy as np

Split = tuple["np.ndarray", "np.ndarray", "np.ndarray", "np.ndarray"]  # X_train, y_train, X_test, y_test


@dataclass(frozen=True)
class Dataset:
    """One line about a data set, and how to load it: `load(samples, seed)` is a `Split`.
    Where `images` is true, `load(samples, seed, images=True)` gives (n, 1, height, width) images;
    where `files` is true, `load(samples, seed, folder=...)` reads them from that folder."""

    about: str
    load: Callable[..., Split]
    images: bool = False
    files: bool = False  # read from a folder of files: `load(..., folder=...)`
    # `stepgrad train`'s defaults for this data set (flag -> value, as `--optimizer adam --lr 0.01`
    # would set them): a newcomer's first run gives the good result; a flag given wins.
    recipe: Mapping[str, Any] = field(default_factory=dict)


def _generated(make: str) -> Callable[[int, int], Split]:
    """A loader for the generator `nets.data.<make>`: `samples` training points from `seed`,
    and held-out points (at least 500) from `seed + 1`."""

    def load(samples: int, seed: int) -> Split:
        from . import data

        points = getattr(data, make)
        return (*points(n=samples, seed=seed), *points(n=max(samples, 500), seed=(seed + 1) % 2**32))  # 32-bit seeds

    return load


def _xor(samples: int, seed: int) -> Split:
    """XOR has only its four points, so its "test" set is the training set."""
    from . import data

    return (*data.xor(), *data.xor())


def _digits(samples: int, seed: int, images: bool = False) -> Split:
    """scikit-learn's digits, with their fixed train/test split."""
    from . import data

    return (*data.digits("train", images=images), *data.digits("test", images=images))


def _mnist(samples: int, seed: int, images: bool = False, folder: str | None = None) -> Split:
    """MNIST's 60,000 training and 10,000 test images, read from `folder` (see `nets.data.mnist`)."""
    from .mnist import mnist

    return (*mnist("train", folder, images=images), *mnist("test", folder, images=images))


# `stepgrad train`'s defaults where a data set's recipe says nothing
DEFAULT_RECIPE: Mapping[str, Any] = {"optimizer": "sgd", "epochs": 100, "validation_split": 0.2}

DATASETS: dict[str, Dataset] = {
    "xor": Dataset("the four corners of the unit square, labelled x1 XOR x2", _xor,
                   recipe={"validation_split": 0.0}),  # all four points are needed to learn it
    "moons": Dataset("two interleaving half circles", _generated("moons")),
    "circles": Dataset("a small circle inside a larger one", _generated("circles")),
    "spiral": Dataset("three interleaved spiral arms", _generated("spiral")),
    "blobs": Dataset("three Gaussian clusters", _generated("blobs")),
    "digits": Dataset("8x8 handwritten digits, ten classes", _digits, images=True,  # ~96% test accuracy
                      recipe={"optimizer": "adam", "lr": 0.01, "batch_size": 32, "epochs": 20}),
    "mnist": Dataset("MNIST's 28x28 handwritten digits, from files (--data-dir)", _mnist, images=True, files=True),
}


def load(name: str, samples: int = 200, seed: int = 0, *, images: bool = False, folder: str | None = None) -> Split:
    """`(X_train, y_train, X_test, y_test)` of the data set called `name` (as images if asked;
    from `folder` for a data set read from files, else its default folder)."""
    try:
        dataset = DATASETS[name]
    except (KeyError, TypeError):
        raise ValueError(Message("data: unknown data set {name!r}; choose one of {choices}", name=name,
                                 choices=", ".join(DATASETS))) from None
    if images and not dataset.images:
        raise ValueError(Message("data: {name} is points, not images", name=name))
    if folder is not None and not dataset.files:
        raise ValueError(Message("data: {name} is made, not read from files; a folder is for {choices}", name=name,
                                 choices=", ".join(n for n, d in DATASETS.items() if d.files)))
    kwargs = {"images": True} if images else {}
    if dataset.files:
        kwargs["folder"] = folder
    return dataset.load(samples, seed, **kwargs)
