"""`stepgrad explain`: the happy path, and every bad input as one line, status 2, nothing run."""

from __future__ import annotations

import builtins
import os
import shutil
import subprocess
import sys

import pytest

from nets.cli.explain import explain
from nets.cli import build_parser, main

build_parser()  # imports what the parser lists (dataclasses exec their generated code) before the guard below

NEURON = ["tanh(x1*w1 + x2*w2 + b)", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (make dot)")


@pytest.fixture(autouse=True)
def no_eval_or_exec(monkeypatch):
    """Every test here fails if source text ever reaches eval or exec (imports still exec code objects)."""

    def guard(original):
        def checked(source, *args, **kwargs):
            if isinstance(source, (str, bytes)):
                raise AssertionError(f"{original.__name__} was called on {source!r}")
            return original(source, *args, **kwargs)

        return checked

    monkeypatch.setattr(builtins, "eval", guard(builtins.eval))
    monkeypatch.setattr(builtins, "exec", guard(builtins.exec))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["explain", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_issue_example(capsys):
    status, out, err = run(capsys, *NEURON)
    assert status == 0 and err == ""
    forward, backward, table = out.split("\n\n")
    assert forward.splitlines() == [
        "forward pass:",
        "  x1 = 2.0000",
        "  w1 = -3.0000",
        "  v1 = x1 * w1 = -6.0000",
        "  x2 = 0.0000",
        "  w2 = 1.0000",
        "  v2 = x2 * w2 = 0.0000",
        "  v3 = v1 + v2 = -6.0000",
        "  b = 6.8814",
        "  v4 = v3 + b = 0.8814",
        "  v5 = tanh(v4) = 0.7071",
    ]
    assert backward.splitlines()[:2] == [
        "backward pass (5 steps, v5.grad starts at 1; each step: input.grad += local slope * the node's grad):",
        "  1. v5 = tanh(v4): dv5/dv4 = 1 - v5**2 = 0.5000; v4.grad += 0.5000 * v5.grad (1.0000) = 0.5000",
    ]
    assert len(backward.splitlines()) == 6
    rows = [line.split() for line in table.splitlines()[2:]]
    assert rows == [["x1", "2.0000", "-1.5000"], ["w1", "-3.0000", "1.0000"], ["x2", "0.0000", "0.5000"],
                    ["w2", "1.0000", "0.0000"], ["b", "6.8814", "0.5000"]]


def test_a_name_used_twice_collects_both_paths():
    out = explain("x*x + 2**x - -x", ["x=3"])
    assert out.splitlines()[-1].split() == ["x", "3.0000", f"{6 + 8 * 0.6931471805599453 + 1:.4f}"]


def test_constant_parts_are_folded_and_functions_work():
    out = explain("leaky_relu(x, 0.1) * sqrt(4) + exp(0) / abs(-2) + sigmoid(x) + log(x*x) + sin(x) + cos(x)", ["x=-1"])
    assert "v1 = leaky_relu(x, 0.1) = -0.1000" in out and "v2 = v1 * 2 = -0.2000" in out
    assert "v3 = v2 + 0.5" in out


@needs_dot
def test_svg_and_png_files_are_written(tmp_path, capsys):
    svg, png = tmp_path / "n.svg", tmp_path / "n.png"
    status, out, _ = run(capsys, *NEURON, "--svg", str(svg), "--png", str(png))
    assert status == 0 and "gradients:" in out
    assert "<svg" in svg.read_text() and png.read_bytes().startswith(b"\x89PNG")
    assert out.splitlines()[-2:] == [f"wrote {svg}", f"wrote {png}"]  # says what it wrote


@needs_dot
def test_html_writes_every_step_as_one_page(tmp_path, capsys):
    page = tmp_path / "steps.html"
    status, out, _ = run(capsys, *NEURON, "--html", str(page))
    assert status == 0 and out.splitlines()[-1] == f"wrote {page}"
    text = page.read_text()
    assert text.count("<svg") == 2 * (5 + 5) + 1 and "ArrowRight" in text and "stepgrad explain tanh(x1*w1" in text
    assert '<form class="stepgrad-quiz"' not in text  # only with --quiz


@needs_dot
def test_html_quiz_writes_a_quiz_page(tmp_path, capsys):
    page = tmp_path / "quiz.html"
    status, out, _ = run(capsys, *NEURON, "--html", str(page), "--quiz")
    assert status == 0 and out.splitlines()[-1] == f"wrote {page}"
    text = page.read_text()
    assert text.count('<form class="stepgrad-quiz"') == 5 and "Score: 0 of 0" in text and "0.001 or 0.1%" in text


def test_quiz_in_the_terminal_hints_then_gives_a_second_try(capsys, monkeypatch):
    answers = iter(["0.1", "0.2",  # wrong: a hint naming tanh's rule
                    "0.5", "0.5",  # right on the second try
                    "1", "nonsense", "0.5",  # not a number: asked again; right
                    ])
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(answers))  # then the input ends (StopIteration)
    monkeypatch.setattr(builtins, "input", lambda prompt="", it=answers: _next_or_eof(it))
    status, out, _ = run(capsys, *NEURON, "--quiz")
    assert status == 0
    assert "Hint: v5 = tanh(v4), so dv5/dv4 = 1 - v5**2" in out and out.count("Right.") == 2
    assert "Answer with a number" in out and "Score: 2 of 2" in out and "Quiz over: 2 of 2 right." in out
    assert "v5 = tanh(v4): dv5/dv4 = 1 - v5**2 = 0.5000; v4.grad += 0.5000 * v5.grad (1.0000) = 0.5000" in out
    assert out.rstrip().splitlines()[-1].split()[0] == "b"  # the gradient table still ends it


def _next_or_eof(answers):
    try:
        return next(answers)
    except StopIteration:
        raise EOFError from None


@pytest.mark.parametrize("network, loss, grads", [("2-2-2", "E = v5 * 0.5 = 0.2984", 10),
                                                  ("2-4-1", "L = v3 * 1 = 0.1754", 17)])
def test_the_hand_worked_networks_are_one_command(capsys, network, loss, grads):
    status, out, _ = run(capsys, "--network", network)
    assert status == 0 and loss in out
    table = out.split("gradients:\n")[1].splitlines()[1:]
    assert len(table) == grads and table[0].split()[0] == "w1"


def test_the_2_2_2_network_has_the_hand_worked_gradients():
    from nets.handworked import two_two_two

    loss, p = two_two_two()
    loss.backward()  # the classic example's numbers: dE/dw5 = 0.082167, dE/dw1 = 0.000438568
    assert p["w5"].grad == pytest.approx(0.0821670407, abs=1e-9) and p["w1"].grad == pytest.approx(0.000438568, abs=1e-8)


def test_network_and_expression_together_are_refused(capsys):
    status, _, err = run(capsys, "x*2", "x=1", "--network", "2-2-2")
    assert status == 2 and "--network builds its own graph" in err
    status, _, err = run(capsys, "--network", "3-3-3")
    assert status == 2 and "--network must be one of 2-2-2, 2-4-1" in err


def test_one_step_is_one_step(capsys):
    status, out, _ = run(capsys, "x*2", "x=2")
    assert status == 0 and "backward pass (1 step," in out


@pytest.mark.parametrize("argv", [["-x", "x=2"], ["-x*2", "x=2"], ["--svg", "n.svg", "-x", "x=2"]])
def test_an_expression_starting_with_minus_gets_a_hint(capsys, argv):
    status = main(["explain", *argv])
    err = capsys.readouterr().err
    assert status == 2 and len(err.splitlines()) == 1
    assert "starts with '-', so it reads as an option; put -- before the expression" in err
    fixed = err.split("before the expression: ")[1].split()
    assert fixed[0:2] == ["stepgrad", "explain"] and fixed.index("--") > fixed.index("explain")
    assert ("--svg" not in fixed) or fixed.index("--svg") < fixed.index("--")  # options stay options


def test_with_dashes_a_minus_expression_works(capsys):
    status, out, _ = run(capsys, "--", "-x", "x=2")
    assert status == 0 and "v1 = -x = -2.0000" in out


def test_without_dot_the_error_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    status, out, err = run(capsys, *NEURON, "--png", str(tmp_path / "n.png"))
    assert status == 2 and out == "" and "sudo apt-get install graphviz" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "n.png").exists()


def fake_pipe(graph, format):
    """`dot` that draws SVG but fails on PNG: the SVG must still not be written alone."""
    if format == "png":
        raise FileNotFoundError("Graphviz's 'dot' program is needed to render drawings")
    return b"<svg/>"


def test_a_failed_png_leaves_no_svg_written(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("autograd.draw.pipe", fake_pipe)
    svg, png = tmp_path / "n.svg", tmp_path / "n.png"
    status, out, err = run(capsys, *NEURON, "--svg", str(svg), "--png", str(png))
    assert status == 2 and out == "" and len(err.splitlines()) == 1
    assert os.listdir(tmp_path) == []


BAD_OUTPUTS = [
    (["--png", "{tmp}/missing/n.png"], "cannot write '{tmp}/missing/n.png': the folder '{tmp}/missing' does not exist"),
    (["--png", "{tmp}/folder.png"], "cannot write '{tmp}/folder.png': it is a folder"),
    (["--png", "{tmp}"], "--png needs a file name ending in .png, got '{tmp}'"),
    (["--png", "{tmp}/n.svg"], "--png needs a file name ending in .png, got '{tmp}/n.svg'"),
    (["--svg", ""], "--svg needs a file name ending in .svg, got ''"),
    (["--html", "{tmp}/n.svg"], "--html needs a file name ending in .html, got '{tmp}/n.svg'"),
    (["--html", "{tmp}/missing/n.html"], "cannot write '{tmp}/missing/n.html': the folder '{tmp}/missing' does not exist"),
]


@pytest.mark.parametrize("flags, message", BAD_OUTPUTS, ids=[" ".join(flags) for flags, _ in BAD_OUTPUTS])
def test_output_files_are_checked_before_anything_is_computed(tmp_path, capsys, monkeypatch, flags, message):
    (tmp_path / "folder.png").mkdir()
    monkeypatch.setattr("autograd.draw.pipe", fake_pipe)
    flags = [flag.format(tmp=tmp_path) for flag in flags]
    good_svg = [] if "--svg" in flags else ["--svg", str(tmp_path / "n.svg")]
    # log(0) would fail if anything were computed: the file is what gets reported
    status, out, err = run(capsys, "log(x)", "x=0", *good_svg, *flags)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"stepgrad explain: error: {message.format(tmp=tmp_path)}"), err
    assert os.listdir(tmp_path) == ["folder.png"] and os.listdir(tmp_path / "folder.png") == []


BAD = [
    (["x +", "x=1"], "invalid expression 'x +': invalid syntax"),
    (["x + y", "x=1"], "no value for 'y': add y=NUMBER"),
    (["x", "x=abc"], "the value of 'x' must be a number, got 'abc'"),
    (["x", "x="], "the value of 'x' must be a number, got ''"),
    (["x", "x=nan"], "must be a finite number"),
    (["x", "x"], "'x' is not NAME=VALUE"),
    (["x", "x=1", "x=2"], "'x' is given a value twice"),
    (["x", "x=1", "y=2"], "y not in the expression 'x'"),
    (["x", "x=1", "tanh=2"], "'tanh' is a function"),
    (["x", "1x=1"], "'1x' in '1x=1' is not a valid name"),
    (["x.real", "x=1"], "attribute access 'x.real' is not allowed"),
    (["x.__class__.__bases__", "x=1"], "attribute access"),
    (["print(x)", "x=1"], "cannot call 'print'"),
    (["eval('x')", "x=1"], "cannot call 'eval'"),
    (["tanh", "x=1"], "'tanh' is a function: call it"),
    (["tanh(x, 2)", "x=1"], "call it as tanh(x)"),
    (["tanh(x=x)", "x=1"], "call it as tanh(x)"),
    (["leaky_relu(x, x)", "x=1"], "the slope of 'leaky_relu(x, x)' must be a plain number"),
    (["x % 2", "x=1"], "the operator in 'x % 2' is not allowed"),
    (["x < 2", "x=1"], "the expression 'x < 2' is not allowed"),
    (["[x][0]", "x=1"], "is not allowed"),
    (["lambda: x", "x=1"], "is not allowed"),
    (["'a' * x", "x=1"], "'a' is not a number"),
    (["True * x", "x=1"], "True is not a number"),
    (["1j * x", "x=1"], "1j is not a number"),
    (["2 * 3"], "the expression has no names"),
    (["log(x)", "x=0"], "log: undefined for x = 0.0"),
    (["log(0) * x", "x=1"], "log: undefined for x = 0.0"),
    (["1 / (x - x)", "x=1"], "divides by zero"),
    (["exp(x)", "x=1000"], "exp: overflow"),
    (["(-8) ** 0.5 * x", "x=1"], "pow: a negative base"),
    (["1" + "0" * 400 + " * x", "x=1"], "is too large"),
    (["(" * 300 + "x" + ")" * 300, "x=1"], "too many nested parentheses"),
    (["+".join(["x"] * 5000), "x=1"], "too long or nested too deeply for Python's parser (at most about 2,900"),
]


@pytest.mark.parametrize("expression, grad", [("+".join(["x"] * 2800), "2800.0000"), ("-" * 2801 + "x", "-1.0000"),
                                              ("relu(" * 190 + "x" + ")" * 190, "1.0000")])
def test_deep_expressions_within_the_stated_limit_work(expression, grad):  # evaluated without recursion
    assert explain(expression, ["x=1"]).splitlines()[-1].split() == ["x", "1.0000", grad]


@pytest.mark.parametrize("argv, message", BAD, ids=[argv[0][:30] for argv, _ in BAD])
def test_bad_input_is_one_line_and_status_2(capsys, argv, message):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("stepgrad explain: error: ") and message in err, err
    assert "Traceback" not in err


ATTACKS = [
    "__import__('os').system('touch {marker}')",
    "exec(\"open('{marker}', 'w')\")",
    "(lambda: __import__('os').system('touch {marker}'))()",
    "x + __import__('os').system('touch {marker}')",
    "tanh(__import__('os').system('touch {marker}'))",
    "[c for c in ().__class__.__base__.__subclasses__()] or open('{marker}', 'w')",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_code_in_the_expression_never_runs(tmp_path, capsys, attack):
    marker = tmp_path / "ran"
    status, out, err = run(capsys, attack.format(marker=marker), "x=1")
    assert status == 2 and out == "" and err.count("\n") == 1 and ("not allowed" in err or "cannot call" in err)
    assert not marker.exists()


def test_the_installed_command_refuses_an_os_system_call(tmp_path):
    marker = tmp_path / "ran"
    expression = f"__import__('os').system('touch {marker}')"
    result = subprocess.run([sys.executable, "-m", "nets.cli", "explain", expression], capture_output=True, text=True)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == ("stepgrad explain: error: cannot call \"__import__('os').system\": the functions are "
                             "abs, cos, exp, leaky_relu, log, relu, sigmoid, sin, sqrt, tanh\n")
    assert not marker.exists()


def test_an_expression_starting_with_minus_goes_after_double_dash(capsys):
    status, out, _ = run(capsys, "--", "-x*2", "x=3")
    assert status == 0 and out.splitlines()[-1].split() == ["x", "3.0000", "-2.0000"]
