"""The `stepgrad` command: `explain` an expression, `train` a network, `demo` the main job.

This module parses the arguments; `explain.py` and `commands.py` do the work, imported only
when their command runs (so `explain` never loads NumPy).  Every failure a user can cause
ends in one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Callable, Sequence

from ..engine import ShadowedEngineError, check_engine

EXIT_USAGE = 2


MAX_MESSAGE = 400  # characters of an error message: a 100,000-character argument is not echoed whole


def one_line(message: str) -> str:
    """`message` as one printable line: control characters (a newline in an argument) escaped, cut short."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message[: MAX_MESSAGE + 1])
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (not usage plus error) and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {one_line(message)}\n")


def _explain(args: argparse.Namespace) -> None:
    from .explain import explain

    print(explain(args.expression, args.values, svg=args.svg, png=args.png, html=args.html))


def _train(args: argparse.Namespace) -> None:
    from .commands import train

    train(args)


def _demo(args: argparse.Namespace) -> None:
    from .commands import demo

    demo(args)


MAX_SAMPLES = 100_000  # pure-Python training: more would run for hours or exhaust memory
MAX_LAYER_SIZE = 4096
MAX_CHANNELS = 64  # every filter is slid over every position of every image: more would take hours
MAX_SEED = 2**32 - 1  # NumPy's and scikit-learn's seeds are 32-bit
MAX_EPOCHS = 100_000  # the demo's 100 epochs take seconds, so this is hours; more is a typo


def _positive(kind: type, maximum: float = float("inf")) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive {kind.__name__}, got {text!r}") from None
        if not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"expected a positive {kind.__name__}, got {text!r}")
        if value > maximum:
            raise argparse.ArgumentTypeError(f"expected at most {maximum}, got {text!r}")
        return value

    parse.__name__ = f"positive {kind.__name__}"
    return parse


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a non-negative number, got {text!r}")
    return value


def _fraction(text: str) -> float:
    value = _non_negative(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}")
    return value


def _sizes(text: str) -> list[int]:
    """'16,16' -> [16, 16]; an empty string means no hidden layer."""
    try:
        sizes = [int(part) for part in text.split(",")] if text.strip() else []
    except ValueError:
        sizes = [0]
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"expected comma-separated positive layer sizes like 16,16, got {text!r}")
    if any(n > MAX_LAYER_SIZE for n in sizes):
        raise argparse.ArgumentTypeError(f"each layer size must be at most {MAX_LAYER_SIZE}, got {text!r}")
    return sizes


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected an integer in 0..{MAX_SEED}, got {text!r}")
    return value


def _file_to_write(text: str) -> str:
    """A path we can save to: checked before training, so a typo does not waste the run."""
    folder = os.path.dirname(text) or "."
    if not text:
        raise argparse.ArgumentTypeError("expected a file name, got ''")
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text!r} is a directory, not a file")
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(f"the folder {folder!r} does not exist")
    from nets.files import check_writable  # here, as `nets` imports numpy: --help stays quick

    try:
        check_writable(text)
    except OSError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _directory_to_write(text: str) -> str:
    """An existing directory, or one that can be created (its nearest existing ancestor is a directory)."""
    path = os.path.abspath(text)
    while not os.path.exists(path):
        path = os.path.dirname(path)
    if not os.path.isdir(path):
        raise argparse.ArgumentTypeError(f"cannot make the directory {text!r}: {path!r} is a file")
    return text


EXPLAIN_OPTIONS = ("-h", "--help", "--svg", "--png", "--html")


def _dash_hint(argv: list[str]) -> str | None:
    """An expression starting with `-` reads as an option to argparse: say to put `--` first
    (after the options, which `--` would turn into arguments)."""
    if not argv or argv[0] != "explain" or "--" in argv:
        return None
    options: list[str] = []
    rest: list[str] = []
    tokens = iter(argv[1:])
    for token in tokens:
        name = token.split("=", 1)[0]
        if name in EXPLAIN_OPTIONS:
            options += [token] + ([next(tokens, "")] if "=" not in token and name not in ("-h", "--help") else [])
        else:
            rest.append(token)
    dashed = [token for token in rest if token.startswith("-")]
    if not dashed:
        return None
    fixed = " ".join(_quoted(t) for t in [*options, "--", *rest])
    return f"{dashed[0]!r} starts with '-', so it reads as an option; put -- before the expression: stepgrad explain {fixed}"


def _quoted(text: str) -> str:
    return text if all(c.isalnum() or c in "=.-_/" for c in text) else f'"{text}"'


def build_parser() -> argparse.ArgumentParser:
    """The arguments of each command; `train`'s choices come from the library's registries."""
    from ..activations import ACTIVATIONS
    from ..datasets import DATASETS
    from ..losses import LOSSES

    parser = _Parser(prog="stepgrad", description="Watch backprop work, one node at a time.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    explain = commands.add_parser("explain", help="evaluate an expression and explain its backward pass node by node")
    explain.add_argument("expression", help='for example "tanh(x1*w1 + x2*w2 + b)" (put -- before one that starts with -)')
    explain.add_argument("values", nargs="*", metavar="NAME=VALUE", help="a value for each name in the expression")
    explain.add_argument("--svg", metavar="FILE", help="also write the graph's drawing as SVG")
    explain.add_argument("--png", metavar="FILE", help="also write the graph's drawing as PNG")
    explain.add_argument("--html", metavar="FILE", help="also write every step as one web page (works offline)")
    explain.set_defaults(run=_explain)

    train = commands.add_parser("train", help="train a network on a dataset")
    train.add_argument("--data", choices=DATASETS, default="moons",
                       help="; ".join(f"{name}: {dataset.about}" for name, dataset in DATASETS.items()) + " (default: moons)")
    train.add_argument("--data-dir", metavar="DIR",
                       help="where --data mnist finds its files (default: $STEPGRAD_DATA/mnist or ~/.cache/stepgrad/mnist)")
    train.add_argument("--samples", type=_positive(int, MAX_SAMPLES), default=200, metavar="N",
                       help=f"training points for the synthetic datasets, at most {MAX_SAMPLES} (default: 200)")
    train.add_argument("--model", choices=("mlp", "cnn"), default="mlp",
                       help="mlp: dense layers; cnn (needs --data digits): Conv2d(1, CHANNELS, 3), "
                            "MaxPool2d(2), the activation, Flatten, then the --hidden layers (default: mlp)")
    train.add_argument("--channels", type=_positive(int, MAX_CHANNELS), metavar="N",
                       help=f"--model cnn: filters in the convolution, at most {MAX_CHANNELS} (default: 8)")
    train.add_argument("--hidden", type=_sizes, metavar="N,N,...",
                       help=f"hidden layer sizes, comma-separated, each at most {MAX_LAYER_SIZE} "
                            "(default: 16,16 for mlp, none for cnn)")
    train.add_argument("--activation", choices=ACTIVATIONS, default="relu",
                       help="hidden-layer activation (default: relu)")
    train.add_argument("--loss", choices=LOSSES,
                       help="default: hinge for two classes, cross_entropy for more")
    train.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd", help="default: sgd")
    train.add_argument("--lr", type=_positive(float), help="learning rate (default: 0.1 for sgd, 0.01 for adam)")
    train.add_argument("--final-lr", type=_non_negative, metavar="LR",
                       help="let the learning rate fall linearly to this by the last epoch (default: constant)")
    train.add_argument("--momentum", type=_fraction, default=0.0, help="SGD momentum in [0, 1) (default: 0)")
    train.add_argument("--weight-decay", type=_non_negative, default=0.0, help="L2 weight decay (default: 0)")
    train.add_argument("--dropout", type=_fraction, default=0.0, help="dropout after hidden layers (default: 0)")
    train.add_argument("--epochs", type=_positive(int, MAX_EPOCHS), default=100,
                       help=f"passes over the data, at most {MAX_EPOCHS} (default: 100)")
    train.add_argument("--batch-size", type=_positive(int), help="mini-batch size (default: the full batch)")
    train.add_argument("--seed", type=_seed, default=0, help="seed for data, weights and shuffling (default: 0)")
    train.add_argument("--save", type=_file_to_write, metavar="FILE", help="save the trained model as JSON")
    train.add_argument("--plots", type=_directory_to_write, metavar="DIR", help="write loss, decision-boundary and gradient-norm PNGs here")
    train.add_argument("--compiled", action="store_true",
                       help="trace the network once and train whole batches with NumPy (autograd.compile): much faster")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(run=_train)

    demo = commands.add_parser("demo", help="the main job: train a 2-16-16-1 network on two moons")
    demo.add_argument("--out", default="stepgrad-demo", metavar="DIR", help="where to write the pictures")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        check_engine()  # first: the parser's choices come from the library, which needs the engine
    except ShadowedEngineError as error:
        print(f"stepgrad: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    hint = _dash_hint(argv)
    if hint:
        print(f"stepgrad explain: error: {hint}", file=sys.stderr)
        return EXIT_USAGE
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except (ValueError, ArithmeticError, OSError) as error:  # a TypeError or KeyError is a bug: show it
        print(f"stepgrad {args.command}: error: {one_line(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"stepgrad {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0

