"""MNIST: 70,000 handwritten digits, 28x28 pixels, read from the files everyone distributes.

`mnist(split)` reads the four standard IDX files (gzipped, as published, or unpacked) or
Keras's single `mnist.npz`, from the folder you give or from the cache folder
(`default_folder()`).  A gzipped file and `mnist.npz` are checked against their published
checksums before use; an unpacked IDX file, for which none is published, is checked for its
header and length.  Nothing is fetched unless you ask (`download=True`); offline and
without the files, the error says which files to put where.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import urllib.error
import urllib.request
import zlib
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from autograd.files import write_atomically
from autograd.value import Message

# The gzipped IDX files of each split (images, labels) and their published MD5 sums
# (those torchvision verifies); Keras's mnist.npz holds both splits, with its SHA-256.
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
CHECKSUMS: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "md5:f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "md5:d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "md5:9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "md5:ec29112dd5afa0611ce80d1b7f02629c",
    "mnist.npz": "sha256:731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
}
MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/")
SIZES = {"train": 60_000, "test": 10_000}
TIMEOUT = 30.0  # seconds without a byte before a mirror counts as unreachable


def default_folder() -> Path:
    """Where `mnist()` looks without `root`: $STEPGRAD_DATA/mnist, else $XDG_CACHE_HOME/stepgrad/mnist,
    else ~/.cache/stepgrad/mnist."""
    if os.environ.get("STEPGRAD_DATA"):
        return Path(os.environ["STEPGRAD_DATA"]) / "mnist"
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "stepgrad" / "mnist"


def mnist(split: str = "train", root: str | os.PathLike[str] | None = None, download: bool = False, *,
          images: bool = False, checksums: Mapping[str, str] | None = CHECKSUMS,
          mirrors: Sequence[str] = MIRRORS) -> tuple[np.ndarray, np.ndarray]:
    """`(X, y)` of MNIST's `split` ("train": 60,000 images, "test": 10,000), pixels scaled to [0, 1].

    X has shape (n, 784), or with `images=True` (n, 1, 28, 28) for a `Conv2d`; y holds the
    digits 0..9.  Files are read from `root` (default: `default_folder()`): the split's two
    IDX files, each `NAME.gz` or `NAME`, else `mnist.npz`.  With `download=True` missing
    files are fetched from `mirrors` into `root` (checked, then written whole).
    `checksums=None` skips the checksum test, for IDX files of your own (a subset, say).
    """
    if split not in FILES:
        raise ValueError(f"mnist: split must be 'train' or 'test', got {split!r}")
    folder = Path(root) if root is not None else default_folder()
    names = FILES[split]
    found = [_find(folder, name) for name in names]
    if None in found and (folder / "mnist.npz").is_file():
        return _shaped(*_read_npz(folder / "mnist.npz", split, checksums), images)
    if None in found and download:
        found = [path or _download(folder, name + ".gz", checksums, mirrors) for path, name in zip(found, names)]
    if None in found:
        absent = [name + ".gz" for name, path in zip(names, found) if path is None]  # one file, or both
        missing = absent[0] if len(absent) == 1 else Message("{first} and {second}", first=absent[0], second=absent[1])
        raise FileNotFoundError(Message(
            "mnist: no {split} files in {folder!r}: put {missing} there (from {mirror}; unpacked files or Keras's "
            "mnist.npz also do), or pass download=True", split=split, folder=str(folder), missing=missing,
            mirror=MIRRORS[0]))
    pixels = _read_idx(found[0], 3, checksums)
    labels = _read_idx(found[1], 1, checksums)
    if len(pixels) != len(labels):
        raise ValueError(Message("mnist: {images!r} holds {n} images but {labels!r} {m} labels",
                                 images=str(found[0]), n=len(pixels), labels=str(found[1]), m=len(labels)))
    return _shaped(pixels, labels, images)


def _find(folder: Path, name: str) -> Path | None:
    for candidate in (folder / (name + ".gz"), folder / name):
        if candidate.is_file():
            return candidate
    return None


def _shaped(pixels: np.ndarray, labels: np.ndarray, images: bool) -> tuple[np.ndarray, np.ndarray]:
    if labels.size and labels.max() > 9:
        raise ValueError(Message("mnist: a label is {label}, not a digit 0..9", label=int(labels.max())))
    X = pixels.astype(float) / 255.0
    return (X[:, None] if images else X.reshape(len(X), -1)), labels.astype(int)


def _verify(path: Path, data: bytes, checksums: Mapping[str, str] | None) -> None:
    """Refuse `data` (the bytes of `path`) if its published checksum differs."""
    expected = None if checksums is None else checksums.get(path.name)
    if expected is None:
        return
    algorithm, _, digest = expected.partition(":")
    actual = hashlib.new(algorithm, data).hexdigest()
    if actual != digest:
        raise ValueError(Message("mnist: {path!r} has {algorithm} {actual}, expected {digest}: the file is corrupt "
                                    "or incomplete; delete it and fetch it again", path=str(path), algorithm=algorithm,
                                 actual=actual, digest=digest))


def _read_idx(path: Path, dimensions: int, checksums: Mapping[str, str] | None) -> np.ndarray:
    """An IDX file of unsigned bytes (magic 0x0000 08 `dimensions`), gzipped or not."""
    data = path.read_bytes()
    _verify(path, data, checksums)
    if path.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error) as error:
            raise ValueError(Message("mnist: {path!r} is not a whole gzip file ({error}); fetch it again",
                                     path=str(path), error=error)) from None
    header = 4 + 4 * dimensions
    if len(data) < header or data[:4] != bytes((0, 0, 8, dimensions)):
        raise ValueError(Message("mnist: {path!r} is not an IDX file of {dimensions}-D unsigned bytes (its first "
                                    "bytes are {first}, expected 000008{dimensions:02x})", path=str(path),
                                 dimensions=dimensions, first=data[:4].hex() or Message("missing")))
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dimensions))
    count = int(np.prod(shape))
    if len(data) - header != count:
        raise ValueError(Message("mnist: {path!r} is truncated or padded: its header promises {shape} = {count} "
                                    "bytes of data, it holds {held}", path=str(path), shape="x".join(map(str, shape)),
                                 count=count, held=len(data) - header))
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _read_npz(path: Path, split: str, checksums: Mapping[str, str] | None) -> tuple[np.ndarray, np.ndarray]:
    _verify(path, path.read_bytes(), checksums)
    try:
        with np.load(path, allow_pickle=False) as arrays:
            pixels, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
    except (KeyError, ValueError, OSError) as error:
        raise ValueError(Message("mnist: {path!r} is not Keras's mnist.npz with x_{split} and y_{split} ({error})",
                                 path=str(path), split=split, error=error)) from None
    if pixels.ndim != 3 or pixels.dtype != np.uint8 or len(pixels) != len(labels):
        raise ValueError(Message("mnist: {path!r}: x_{split} must be (n, 28, 28) bytes and y_{split} n labels, got "
                                    "{shape} {dtype} and {labels}", path=str(path), split=split, shape=pixels.shape,
                                 dtype=pixels.dtype, labels=labels.shape))
    return pixels, labels


def _download(folder: Path, name: str, checksums: Mapping[str, str] | None, mirrors: Sequence[str]) -> Path:
    """Fetch `name` from the first mirror that gives it whole and with the right checksum; write it into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    problems = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + name
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310 - the mirrors are https (or a test's)
                data = response.read()
            _verify(path, data, checksums)
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
            problems.append(f"{url}: {getattr(error, 'reason', None) or error}")
            continue
        return write_atomically(path, data)
    raise OSError(f"mnist: could not download {name} ({'; '.join(problems)}); put the file in {str(folder)!r} by hand")
