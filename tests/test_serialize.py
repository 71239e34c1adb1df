"""save/load: identical outputs after a round trip, atomic writes, and clear errors for bad files."""

import json
import os

import pytest

import nets
from autograd import Value
from nets import MLP, Layer, Neuron


def _points():
    return [[0.3, -0.2, 0.9], [1.5, 0.0, -0.4], [-2.0, 0.7, 0.1]]


def _as_numbers(out):
    return [v.data for v in out] if isinstance(out, list) else out.data


@pytest.mark.parametrize("model", [
    MLP(3, [5, 4, 1], activation="relu", seed=1),
    MLP(3, [4, 3], activation="tanh", output_activation="sigmoid", seed=2, dropout=0.2),
    Layer(3, 2, activation="leaky_relu", seed=3),
    Neuron(3, activation="sigmoid", fused=False, seed=4),
])
def test_round_trip_gives_identical_outputs(model, tmp_path):
    path = tmp_path / "model.json"
    model.save(path)
    loaded = nets.load(path)
    assert type(loaded) is type(model) and loaded.config() == model.config()
    model.eval()
    for x in _points():
        assert _as_numbers(loaded(x)) == _as_numbers(model(x))  # bit for bit: JSON keeps every float digit


def test_the_file_is_readable_json_with_a_version(tmp_path):
    path = tmp_path / "m.json"
    MLP(2, [2, 1], seed=0).save(path)
    document = json.loads(path.read_text())
    assert document["format"] == "stepgrad-model" and document["version"] == 3 and document["kind"] == "MLP"
    assert document["config"]["nouts"] == [2, 1] and len(document["state"]) == 9
    assert path.stat().st_mode & 0o777 == 0o644  # not the temporary file's private 0600


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    first = MLP(2, [2, 1], seed=0)
    first.save(path)

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        MLP(2, [2, 1], seed=1).save(path)
    monkeypatch.undo()
    assert nets.load(path).state_dict() == first.state_dict()
    assert os.listdir(tmp_path) == ["m.json"]


def _saved(tmp_path, edit):
    path = tmp_path / "model.json"
    MLP(2, [3, 1], seed=0).save(path)
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document))
    return path


def _set(key, value):
    return lambda d: d.__setitem__(key, value)


@pytest.mark.parametrize(("edit", "match"), [
    (_set("version", 4), "unsupported format version 4"),
    (_set("format", "keras"), "not a stepgrad model"),
    (_set("kind", "Transformer"), "unknown model kind 'Transformer'"),
    (lambda d: d["config"].__setitem__("nouts", [4, 1]), "the architecture has 17 parameters but the file holds only 13"),
    (lambda d: d["state"].pop("layers.1.neurons.0.b"), "the architecture has 13 parameters but the file holds only 12"),
    (lambda d: d["state"].__setitem__("extra", 1.0), "weights are wrong.*unexpected 'extra'"),
    (lambda d: d["state"].__setitem__("extra", d["state"].pop("layers.1.neurons.0.b")),
     "weights are wrong.*missing 'layers.1.neurons.0.b', unexpected 'extra'"),
    (lambda d: d["state"].__setitem__("layers.0.neurons.0.b", "x"), "must be a finite number"),
    (lambda d: d["config"].__setitem__("activation", "swish"), "unknown activation 'swish'"),
    (_set("config", [1, 2]), "must be JSON objects"),
    (_set("version", True), "unsupported format version True"),
    (_set("version", 1.0), "unsupported format version 1.0"),
    (lambda d: d["config"].__setitem__("fused", "no"), "fused must be True or False, got 'no'"),
    (lambda d: d["config"].__setitem__("nin", 10**12), "a layer size of 1000000000000 is too large"),
    (lambda d: d["config"].__setitem__("nouts", [3, 2_000_000]), "a layer size of 2000000 is too large"),
])
def test_wrong_version_or_mismatched_files_are_rejected_naming_the_file(tmp_path, edit, match):
    path = _saved(tmp_path, edit)
    with pytest.raises(ValueError, match=match) as error:
        nets.load(path)
    assert str(path) in str(error.value)


def test_truncated_and_corrupt_files_are_rejected_naming_the_file(tmp_path):
    path = tmp_path / "model.json"
    MLP(2, [3, 1], seed=0).save(path)
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt") as error:
        nets.load(path)
    assert str(path) in str(error.value)
    path.write_bytes(b"\x00\xff garbage")
    with pytest.raises(ValueError, match=f"{path}: not a stepgrad model"):
        nets.load(path)
    path.write_text("[1, 2, 3]")
    with pytest.raises(ValueError, match="not a stepgrad model"):
        nets.load(path)


def test_deeply_nested_json_is_a_value_error_naming_the_file(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000)
    with pytest.raises(ValueError, match=f"{path}: not a stepgrad model: the JSON is nested too deeply"):
        nets.load(path)


def test_a_missing_file_is_an_os_error():
    with pytest.raises(FileNotFoundError):
        nets.load("/nonexistent/model.json")


def test_an_absurd_architecture_is_refused_before_building(tmp_path):
    path = tmp_path / "model.json"
    nets.MLP(2, [3, 1], seed=0).save(path)
    document = json.loads(path.read_text())
    document["config"]["nouts"] = [900_000, 900_000]  # each size allowed; together 8e11 weights
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=r"model.json: the architecture has 810,003,600,000 parameters, more than 10,000,000"):
        nets.load(path)


def test_relabelling_a_weight_for_a_drawing_keeps_its_name(tmp_path):
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    model.layers[0].neurons[1].w[0].label = "x_weight"
    assert model.state_dict() == before
    model.save(tmp_path / "m.json")
    assert nets.load(tmp_path / "m.json").state_dict() == before


@pytest.mark.parametrize("batch_norm", [False, True])  # with BatchNorm1d, buffers follow the parameters
def test_a_version_1_file_with_weights_named_by_label_loads_by_position(tmp_path, batch_norm):
    model = MLP(2, [2, 1], seed=0, batch_norm=batch_norm)
    w1, w2 = "layers.0.neurons.0.w1", "layers.0.neurons.0.w2"
    # version 1 saved weights under their labels: here the first neuron's were labelled "w2", "w1"
    state = {(w2 if name == w1 else w1 if name == w2 else name): value for name, value in model.state_dict().items()}
    assert list(state)[:2] == [w2, w1]
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"format": "stepgrad-model", "version": 1, "kind": "MLP", "config": model.config(),
                                "state": state}))
    assert nets.load(path).state_dict() == model.state_dict()


class Scale(nets.Module):
    """A new module kind, as a user adds one: its file and one line in nets.EXPORTS."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.w = [Value(1.0) for _ in range(n)]

    def __call__(self, x):
        return [w * xi for w, xi in zip(self.w, x)]

    def own_parameters(self):
        return [(f"w{i + 1}", w) for i, w in enumerate(self.w)]

    def config(self):
        return {"n": self.n}


@pytest.fixture
def scale_kind(monkeypatch):
    """Scale, registered in the package's name table as if it lived in nets/scale.py."""
    module = type(os)("nets.scale")
    module.Scale = Scale
    monkeypatch.setitem(__import__("sys").modules, "nets.scale", module)
    monkeypatch.setitem(nets.EXPORTS, "Scale", "scale")
    return Scale


def test_a_new_kind_saves_and_loads_through_the_name_table_once_it_counts_its_parameters(scale_kind, tmp_path,
                                                                                          monkeypatch):
    model = nets.Sequential(Layer(2, 3, seed=0), scale_kind(3))
    with pytest.raises(TypeError, match="cannot save a Sequential: unknown model kind 'Scale'"):  # no parameter_count
        model.save(tmp_path / "m.json")
    monkeypatch.setattr(scale_kind, "parameter_count", classmethod(lambda cls, config: config["n"]), raising=False)
    model.save(tmp_path / "m.json")
    loaded = nets.load(tmp_path / "m.json")
    assert [v.data for v in loaded([0.5, -1.0])] == [v.data for v in model([0.5, -1.0])]
    document = json.loads((tmp_path / "m.json").read_text())
    document["config"]["modules"][1]["config"]["n"] = 300  # asks for more weights than the file holds
    (tmp_path / "m.json").write_text(json.dumps(document))
    with pytest.raises(ValueError, match="the architecture has 309 parameters but the file holds only 12 weights"):
        nets.load(tmp_path / "m.json")


def test_a_kind_not_in_the_name_table_is_refused_naming_it(tmp_path):
    path = tmp_path / "m.json"
    MLP(2, [1], seed=0).save(path)
    document = json.loads(path.read_text())
    document["kind"] = "GRUx"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="unknown model kind 'GRUx'; expected one of Neuron, Layer"):
        nets.load(path)
    document["kind"] = "Module"  # in the table, but not a kind: it cannot count its parameters
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="unknown model kind 'Module'"):
        nets.load(path)
