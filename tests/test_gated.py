"""LSTM and GRU: PyTorch's formulas, gate order and parameter names; gradients against finite
differences through time; truncation; save/load; the gradient along the cell state."""

import math

import numpy as np
import pytest

import autograd
import nets
from autograd import Value, gradcheck_leaves
from nets import GRU, LSTM, GRUCell, LSTMCell, RNNModel
from nets.recurrent import hidden_grad_norms

SEQUENCE = [[0.5, -1.0], [0.3, 0.8], [-1.2, 0.1], [0.9, 0.4], [-0.2, -0.7]]  # 5 steps, 2 inputs


def _arrays(cell):
    """The weights as PyTorch stores them: W_ih (gates * H, I), W_hh (gates * H, H), b_ih, b_hh."""
    return [np.array([[w.data for w in row] for row in cell.weight_ih]),
            np.array([[w.data for w in row] for row in cell.weight_hh]),
            np.array([b.data for b in cell.bias_ih]), np.array([b.data for b in cell.bias_hh])]


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _randomise_biases(cell, seed):
    rng = np.random.default_rng(seed)
    for b in [*cell.bias_ih, *cell.bias_hh]:
        b.data = float(rng.uniform(-1, 1))


def test_an_lstm_step_is_pytorchs_formula_with_gates_in_the_order_i_f_g_o():
    cell = LSTMCell(2, 3, seed=1)
    _randomise_biases(cell, 0)
    x, h, c = np.array([0.5, -1.0]), np.array([0.2, -0.4, 0.7]), np.array([1.5, -0.3, 0.1])
    w_ih, w_hh, b_ih, b_hh = _arrays(cell)
    i, f, g, o = np.split(w_ih @ x + b_ih + w_hh @ h + b_hh, 4)  # torch.nn.LSTMCell's layout
    c_new = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    h_new = _sigmoid(o) * np.tanh(c_new)
    out_h, out_c = cell(x.tolist(), (h.tolist(), c.tolist()))
    np.testing.assert_allclose([v.data for v in out_c], c_new, rtol=1e-13)
    np.testing.assert_allclose([v.data for v in out_h], h_new, rtol=1e-13)
    assert [p.label for p in out_h[0].parents][0] == "o[1]"  # h = o * tanh(c)


def test_a_gru_step_is_pytorchs_formula_with_gates_in_the_order_r_z_n():
    cell = GRUCell(2, 3, seed=1)
    _randomise_biases(cell, 1)
    x, h = np.array([0.5, -1.0]), np.array([0.2, -0.4, 0.7])
    w_ih, w_hh, b_ih, b_hh = _arrays(cell)
    gi, gh = np.split(w_ih @ x + b_ih, 3), np.split(w_hh @ h + b_hh, 3)
    r, z = _sigmoid(gi[0] + gh[0]), _sigmoid(gi[1] + gh[1])
    n = np.tanh(gi[2] + r * gh[2])  # the reset gate scales W_hn h + b_hn, bias included
    np.testing.assert_allclose([v.data for v in cell(x.tolist(), h.tolist())], (1 - z) * n + z * h, rtol=1e-13)


@pytest.mark.parametrize("cls, gates", [(LSTMCell, 4), (GRUCell, 3)])
def test_parameters_are_named_and_shaped_as_pytorchs(cls, gates):
    cell = cls(2, 3, seed=0)
    names = [name for name, _ in cell.named_parameters()]
    assert cell.num_parameters() == gates * 3 * (2 + 3 + 2)
    assert names[:3] == ["weight_ih.0.0", "weight_ih.0.1", "weight_ih.1.0"]
    assert {name.split(".")[0] for name in names} == {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}
    assert len(cell.weight_ih) == len(cell.weight_hh) == len(cell.bias_ih) == gates * 3
    first = cls.GATES[0]
    assert cell.weight_ih[0][0].label == f"Wx_{first}[1,1]" and cell.bias_hh[-1].label == f"bh_{cls.GATES[-1]}[3]"


def _loss(states):
    """Reads every hidden state, with different weights, so each step matters."""
    return autograd.sum(v * (0.3 * t + 0.1 * j) for t, h in enumerate(states, 1) for j, v in enumerate(h, 1))


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_gradcheck_every_parameter_through_time(cls):
    layer = cls(2, 3, seed=0)
    _randomise_biases(layer.cell, 2)
    result = gradcheck_leaves(lambda: _loss(layer(SEQUENCE)), layer.parameters())
    assert result, str(result)
    assert len(result.rows) == layer.num_parameters()


def test_gradcheck_reaches_the_lstms_initial_hidden_and_cell_states():
    lstm = LSTM(2, 2, seed=0)
    h0, c0 = [Value(0.3), Value(-0.2)], [Value(0.5), Value(1.0)]
    result = gradcheck_leaves(lambda: _loss(lstm(SEQUENCE, (h0, c0))), [*h0, *c0])
    assert result, str(result)
    _loss(lstm(SEQUENCE, (h0, c0))).backward()
    assert all(v.grad != 0 for v in [*h0, *c0])


def test_states_are_labelled_by_step_and_the_lstm_unrolls_to_pairs():
    pairs = LSTM(2, 2, seed=0).unroll(SEQUENCE)
    assert [h[0].label for h, _ in pairs] == [f"h{t}[1]" for t in range(1, 6)]
    assert [c[1].label for _, c in pairs] == [f"c{t}[2]" for t in range(1, 6)]
    assert [h[0].label for h in GRU(2, 2, seed=0)(SEQUENCE)] == [f"h{t}[1]" for t in range(1, 6)]


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_truncation_zeroes_the_gradient_before_the_cut_and_not_the_forward_values(cls):
    full, cut = cls(2, 3, seed=0), cls(2, 3, seed=0, truncate=2)
    h_full, h_cut = full(SEQUENCE), cut(SEQUENCE)
    assert [v.data for v in h_cut[-1]] == [v.data for v in h_full[-1]]
    autograd.sum(h_full[-1]).backward()
    autograd.sum(h_cut[-1]).backward()
    norms_full, norms_cut = hidden_grad_norms(h_full), hidden_grad_norms(h_cut)
    assert norms_cut[:4] == [0.0] * 4 and norms_cut[4] == pytest.approx(norms_full[4], rel=1e-15)
    assert all(n > 0 for n in norms_full)


def test_the_gradient_along_the_cell_state_is_the_product_of_the_forget_gates():
    """With no path back through h (W_hh = 0), dc_T/dc_1 = f_2 * ... * f_T: the LSTM's way past vanishing."""
    lstm = LSTM(1, 1, seed=0)
    for row in lstm.cell.weight_hh:
        row[0].data = 0.0
    pairs = lstm.unroll([[0.4], [-0.3], [0.8], [0.1]])
    cs = [c[0] for _, c in pairs]
    cs[-1].backward()
    forgets = [c.parents[0].parents[0] for c in cs]  # c_t = f_t * c_{t-1} + i_t * g_t
    assert forgets[0].label == "f[1]"
    assert cs[0].grad == pytest.approx(math.prod(f.data for f in forgets[1:]), rel=1e-14)


def test_models_save_and_load_with_their_cell(tmp_path):
    for cell in ("lstm", "gru"):
        model = RNNModel(2, 3, output_size=2, cell=cell, seed=0)
        model.save(tmp_path / f"{cell}.json")
        loaded = nets.load(tmp_path / f"{cell}.json")
        assert type(loaded.rnn) is type(model.rnn) and loaded.num_parameters() == model.num_parameters()
        assert [v.data for v in loaded(SEQUENCE)] == [v.data for v in model(SEQUENCE)]
    for layer in (LSTM(2, 3, seed=0, truncate=2), GRUCell(2, 3, seed=0)):
        layer.save(tmp_path / "layer.json")
        loaded = nets.load(tmp_path / "layer.json")
        assert repr(loaded) == repr(layer) and loaded.state_dict() == layer.state_dict()


def test_load_counts_a_gated_models_parameters_before_building_it(tmp_path):
    model = RNNModel(2, 3, cell="lstm", seed=0)
    model.save(tmp_path / "m.json")
    text = (tmp_path / "m.json").read_text().replace('"cell": "lstm"', '"cell": "gru"')
    (tmp_path / "m.json").write_text(text)
    with pytest.raises(ValueError, match="m.json"):
        nets.load(tmp_path / "m.json")


def test_bad_sizes_cells_and_states_are_clear_errors():
    with pytest.raises(ValueError, match="LSTMCell: hidden_size must be a positive integer, got 0"):
        LSTM(2, 0)
    with pytest.raises(ValueError, match="GRUCell: input_size must be a positive integer, got -1"):
        GRU(-1, 2)
    with pytest.raises(ValueError, match="unknown cell 'rnm'; choose one of rnn, lstm, gru"):
        RNNModel(1, 2, cell="rnm")
    with pytest.raises(ValueError, match="an LSTM has its own activations"):
        RNNModel(1, 2, activation="relu", cell="lstm")
    with pytest.raises(ValueError, match="LSTMCell: expected 2 inputs and a state of 3, got 1 inputs"):
        LSTMCell(2, 3)([1.0], None)
    with pytest.raises(ValueError, match="LSTMCell: expected a cell state of 3, got 2"):
        LSTMCell(2, 3)([1.0, 2.0], ([0.0] * 3, [0.0] * 2))
    with pytest.raises(ValueError, match="LSTM: the sequence is empty"):
        LSTM(1, 2)([])
