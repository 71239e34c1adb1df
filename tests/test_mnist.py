"""nets.data.mnist: the IDX files (gzipped or not), mnist.npz, checksums, and download from a local server only."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest

from nets import data, datasets
from nets.cli import main
from nets.mnist import FILES, default_folder

N = 12  # images in the small test files


def idx(array: np.ndarray) -> bytes:
    """An IDX file of unsigned bytes: magic 0x000008<dims>, the sizes big-endian, then the data."""
    header = bytes((0, 0, 8, array.ndim)) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def small_mnist(n: int = N, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x_train": rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), "y_train": rng.integers(0, 10, n).astype(np.uint8),
            "x_test": rng.integers(0, 256, (n // 2, 28, 28), dtype=np.uint8), "y_test": rng.integers(0, 10, n // 2).astype(np.uint8)}


def write_idx(folder: Path, arrays: dict[str, np.ndarray], gz: bool = True) -> dict[str, bytes]:
    """The four IDX files (gzipped if `gz`) of `arrays` in `folder`; returns their bytes by file name."""
    written = {}
    for split, (images, labels) in FILES.items():
        for name, array in ((images, arrays[f"x_{split}"]), (labels, arrays[f"y_{split}"])):
            raw = idx(array)
            body, file = (gzip.compress(raw), name + ".gz") if gz else (raw, name)
            (folder / file).write_bytes(body)
            written[file] = body
    return written


def md5s(files: dict[str, bytes]) -> dict[str, str]:
    return {name: "md5:" + hashlib.md5(body).hexdigest() for name, body in files.items()}


@pytest.mark.parametrize("gz", [True, False])
def test_reads_the_idx_files_gzipped_or_not(tmp_path, gz):
    arrays = small_mnist()
    write_idx(tmp_path, arrays, gz=gz)
    X, y = data.mnist("train", tmp_path, checksums=None)
    assert X.shape == (N, 784) and y.dtype.kind == "i"
    assert np.array_equal(X, arrays["x_train"].reshape(N, 784) / 255.0)
    assert np.array_equal(y, arrays["y_train"])
    images, labels = data.mnist("test", tmp_path, images=True, checksums=None)
    assert images.shape == (N // 2, 1, 28, 28) and np.array_equal(images[:, 0] * 255.0, arrays["x_test"])


def test_checksums_are_verified(tmp_path):
    files = write_idx(tmp_path, small_mnist())
    sums = md5s(files)
    assert len(data.mnist("train", tmp_path, checksums=sums)[0]) == N
    sums["train-images-idx3-ubyte.gz"] = "md5:" + "0" * 32
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.gz' has md5 [0-9a-f]{32}, expected 0{32}: the file is corrupt"):
        data.mnist("train", tmp_path, checksums=sums)
    with pytest.raises(ValueError, match="expected f68b3c2dcbeaaa9fbdd348bbdeb94873"):  # the published sums by default
        data.mnist("train", tmp_path)


def test_reads_keras_npz(tmp_path):
    arrays = small_mnist()
    np.savez(tmp_path / "mnist.npz", **arrays)
    X, y = data.mnist("test", tmp_path, checksums=None)
    assert np.array_equal(X * 255.0, arrays["x_test"].reshape(-1, 784)) and np.array_equal(y, arrays["y_test"])
    with pytest.raises(ValueError, match="mnist.npz' has sha256"):
        data.mnist("test", tmp_path)


def test_absent_files_name_exactly_what_to_put_where(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        data.mnist("test", tmp_path / "nowhere")
    message = str(error.value)
    assert "\n" not in message
    assert f"no test files in '{tmp_path / 'nowhere'}': put t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz there" in message
    assert "download=True" in message


@pytest.mark.parametrize(("damage", "message"), [
    (lambda b: b[: len(b) // 2], "is not a whole gzip file"),
    (lambda b: gzip.compress(gzip.decompress(b)[:-5]), "is truncated or padded: its header promises 12x28x28 = 9408 bytes of data, it holds 9403"),
    (lambda b: gzip.compress(b"\x00\x00\x09\x03" + gzip.decompress(b)[4:]), "is not an IDX file of 3-D unsigned bytes"),
])
def test_damaged_files_are_refused_naming_them(tmp_path, damage, message):
    files = write_idx(tmp_path, small_mnist())
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(damage(files[path.name]))
    with pytest.raises(ValueError, match=message):
        data.mnist("train", tmp_path, checksums=None)


def test_default_folder_is_documented_and_overridable(monkeypatch, tmp_path):
    monkeypatch.setenv("STEPGRAD_DATA", str(tmp_path))
    assert default_folder() == tmp_path / "mnist"
    (tmp_path / "mnist").mkdir()
    write_idx(tmp_path / "mnist", small_mnist())
    assert len(data.mnist("train", checksums=None)[0]) == N
    monkeypatch.delenv("STEPGRAD_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert default_folder() == tmp_path / "cache" / "stepgrad" / "mnist"


class Server:
    """A local HTTP server on 127.0.0.1 serving `files` (name -> bytes); a name in `short` promises more bytes than it sends."""

    def __init__(self, files: dict[str, bytes], short: frozenset[str] = frozenset()):
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server name
                name = self.path.rsplit("/", 1)[-1]
                outer.requests.append(self.path)
                if name not in files:
                    self.send_error(404)
                    return
                body = files[name]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body) + 100 * (name in short)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/mnist/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def served(tmp_path: Path) -> tuple[dict[str, bytes], dict[str, np.ndarray]]:
    arrays = small_mnist(seed=1)
    source = tmp_path / "source"
    source.mkdir()
    return write_idx(source, arrays), arrays


def test_download_fetches_checks_and_writes_the_files(tmp_path):
    files, arrays = served(tmp_path)
    with Server(files) as server:
        X, y = data.mnist("train", tmp_path / "cache", download=True, checksums=md5s(files), mirrors=[server.url])
    assert np.array_equal(y, arrays["y_train"]) and len(X) == N
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    assert len(server.requests) == 2
    with Server({}) as server:  # present files are not fetched again
        assert len(data.mnist("train", tmp_path / "cache", download=True, checksums=md5s(files), mirrors=[server.url])[0]) == N
        assert server.requests == []


def test_download_tries_the_next_mirror_after_a_corrupt_file(tmp_path):
    files, arrays = served(tmp_path)
    corrupt = dict(files, **{"t10k-images-idx3-ubyte.gz": b"\x1f\x8b" + bytes(50)})
    with Server(corrupt) as bad, Server(files) as good:
        X, y = data.mnist("test", tmp_path / "cache", download=True, checksums=md5s(files), mirrors=[bad.url, good.url])
    assert np.array_equal(X * 255.0, arrays["x_test"].reshape(-1, 784))


@pytest.mark.parametrize("how", ["corrupt", "truncated", "missing"])
def test_a_failed_download_leaves_nothing_and_says_why(tmp_path, how):
    files, _ = served(tmp_path)
    name = "train-labels-idx1-ubyte.gz"
    bad = dict(files)
    if how == "corrupt":
        bad[name] = bytes(reversed(files[name]))
    elif how == "missing":
        del bad[name]
    with Server(bad, short=frozenset({name}) if how == "truncated" else frozenset()) as server:
        with pytest.raises(OSError) as error:
            data.mnist("train", tmp_path / "cache", download=True, checksums=md5s(files), mirrors=[server.url])
    message = str(error.value)
    assert f"could not download {name} ({server.url}{name}: " in message and "\n" not in message
    assert {"corrupt": "the file is corrupt", "truncated": "IncompleteRead", "missing": "Not Found"}[how] in message
    assert not (tmp_path / "cache" / name).exists()
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["train-images-idx3-ubyte.gz"]  # the good one, whole


def test_train_command_reads_mnist_from_data_dir(tmp_path, capsys):
    write_idx(tmp_path, small_mnist(n=40))
    datasets_mnist = datasets.DATASETS["mnist"]
    assert datasets_mnist.files and datasets_mnist.images
    # the test files are not MNIST, so their checksums differ from the published ones: the command says so
    assert main(["train", "--data", "mnist", "--data-dir", str(tmp_path), "--quiet", "--epochs", "1"]) == 2
    assert "has md5" in capsys.readouterr().err


def test_train_command_trains_on_unpacked_files_compiled(tmp_path, capsys):
    write_idx(tmp_path, small_mnist(n=40), gz=False)  # unpacked files have no published checksum: header and length are checked
    status = main(["train", "--data", "mnist", "--data-dir", str(tmp_path), "--hidden", "16,16", "--optimizer", "adam",
                   "--batch-size", "16", "--epochs", "2", "--compiled", "--quiet"])
    out = capsys.readouterr().out
    assert status == 0
    assert "MLP(784-16-16-10" in out, out
    assert "32 training points" in out and "8 validation points split off" in out and "test accuracy" in out  # 20% held back
