"""The `stepgrad` command: `explain` an expression, `train` a network, `demo` the main job.

This module parses the arguments; `explain.py` and `commands.py` do the work, imported only
when their command runs (so `explain` never loads NumPy).  Every failure a user can cause
ends in one line on stderr and exit status 2, never a traceback.  `--lang zh` (or the
environment, see `autograd.i18n`) puts `explain`'s and `train`'s messages and help in Chinese.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence

from autograd.i18n import N_, gettext as _, check_language, language, languages, translations

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
        self.exit(EXIT_USAGE, _("{prog}: error: {message}").format(prog=self.prog, message=one_line(message)) + "\n")


# argparse's own words (usage, option groups, its errors), for the catalogue: `_argparse_in` shows them translated
ARGPARSE_MESSAGES = (
    N_("usage: "), N_("positional arguments"), N_("options"), N_("show this help message and exit"),
    N_("the following arguments are required: %s"), N_("unrecognized arguments: %s"), N_("expected one argument"),
    N_("argument %(argument_name)s: %(message)s"), N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"), N_("ambiguous option: %(option)s could match %(matches)s"),
)


@contextmanager
def _argparse_in(lang: str) -> Iterator[None]:
    """argparse looks its words up with `gettext` in its module globals: for the length of
    the command, look them up in our catalogue instead."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = translations(lang).gettext, translations(lang).ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


def _explain(args: argparse.Namespace) -> None:
    from .explain import explain

    print(explain(args.expression, args.values, svg=args.svg, png=args.png, html=args.html, quiz=args.quiz,
                  network=args.network))


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


POSITIVE = {int: N_("expected a positive int, got {text!r}"), float: N_("expected a positive float, got {text!r}")}


def _positive(kind: type, maximum: float = float("inf")) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(_(POSITIVE[kind]).format(text=text)) from None
        if not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(_(POSITIVE[kind]).format(text=text))
        if value > maximum:
            raise argparse.ArgumentTypeError(_("expected at most {maximum}, got {text!r}").format(maximum=maximum, text=text))
        return value

    parse.__name__ = f"positive {kind.__name__}"
    return parse


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(_("expected a non-negative number, got {text!r}").format(text=text))
    return value


def _fraction(text: str) -> float:
    value = _non_negative(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(_("expected a number in [0, 1), got {text!r}").format(text=text))
    return value


def _sizes(text: str) -> list[int]:
    """'16,16' -> [16, 16]; an empty string means no hidden layer."""
    try:
        sizes = [int(part) for part in text.split(",")] if text.strip() else []
    except ValueError:
        sizes = [0]
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(_("expected comma-separated positive layer sizes like 16,16, got {text!r}").format(text=text))
    if any(n > MAX_LAYER_SIZE for n in sizes):
        raise argparse.ArgumentTypeError(_("each layer size must be at most {maximum}, got {text!r}").format(
            maximum=MAX_LAYER_SIZE, text=text))
    return sizes


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(_("expected an integer in 0..{maximum}, got {text!r}").format(maximum=MAX_SEED, text=text))
    return value


def _file_to_write(text: str) -> str:
    """A path we can save to: checked before training, so a typo does not waste the run."""
    folder = os.path.dirname(text) or "."
    if not text:
        raise argparse.ArgumentTypeError(_("expected a file name, got ''"))
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(_("{text!r} is a directory, not a file").format(text=text))
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(_("the folder {folder!r} does not exist").format(folder=folder))
    from autograd.files import check_writable  # here: --help stays quick

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
        raise argparse.ArgumentTypeError(_("cannot make the directory {text!r}: {path!r} is a file").format(text=text, path=path))
    return text


EXPLAIN_OPTIONS = ("-h", "--help", "--svg", "--png", "--html", "--lang", "--quiz", "--network")


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
            takes_value = "=" not in token and name not in ("-h", "--help", "--quiz")
            options += [token] + ([next(tokens, "")] if takes_value else [])
        else:
            rest.append(token)
    dashed = [token for token in rest if token.startswith("-")]
    if not dashed:
        return None
    fixed = " ".join(_quoted(t) for t in [*options, "--", *rest])
    return _("{dashed!r} starts with '-', so it reads as an option; put -- before the expression: "
             "stepgrad explain {fixed}").format(dashed=dashed[0], fixed=fixed)


def _quoted(text: str) -> str:
    return text if all(c.isalnum() or c in "=.-_/" for c in text) else f'"{text}"'


def build_parser(lang: str | None = None) -> argparse.ArgumentParser:
    """The arguments of each command, their help in `lang` (default: the language in force);
    `train`'s choices come from the library's registries."""
    with language(lang):
        return _build_parser()


def _lang_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=languages(), metavar="LANG",
                        help=_("language of the messages and help: {choices} (default: from STEPGRAD_LANG, "
                               "LC_ALL or LANG, else en)").format(choices=", ".join(languages())))



EXAMPLES = N_("""examples:
  stepgrad explain "tanh(x*w + b)" x=2 w=-3 b=6.88 --svg neuron.svg
  stepgrad train --data digits       # 20 epochs of Adam: ~96% test accuracy
  stepgrad train --data moons --hidden 8,8 --epochs 50 --plots plots/
  stepgrad demo                      # micrograd's demo, into ./stepgrad-demo/
  stepgrad COMMAND --help            # each command's options""")
EXPLAIN_EXAMPLES = N_("""examples:
  stepgrad explain "x*x" x=3
  stepgrad explain "tanh(x1*w1 + x2*w2 + b)" x1=2 x2=0 w1=-3 w2=1 b=6.8814
  stepgrad explain "x*x" --svg graph.svg x=3   # options, values in any order
  stepgrad explain --html steps.html -- "-x + exp(x)" x=1
                          # put -- before an expression that starts with -""")
TRAIN_EXAMPLES = N_("""examples:
  stepgrad train --data digits               # ~96% test accuracy
  stepgrad train --data digits --compiled    # the same steps with NumPy: faster
  stepgrad train --data moons --hidden 8,8 --lr 0.3 --epochs 50 --plots plots/
  stepgrad train --data spiral --samples 300 --clip 1 --max-norm 3 --save s.json""")


def _recipes(datasets: dict) -> str:
    """The data sets' own defaults (`Dataset.recipe`) as flags, for the end of `train --help`."""
    lines = [f"  --data {name}: " + " ".join(f"--{flag.replace('_', '-')} {value:g}" if isinstance(value, float)
                                             else f"--{flag.replace('_', '-')} {value}"
                                             for flag, value in dataset.recipe.items())
             for name, dataset in datasets.items() if dataset.recipe]
    return "\n".join([_("each data set's own defaults (a flag you give wins):"), *lines])


def _expression_first(args: argparse.Namespace) -> None:
    """`explain x=3 "x*x"`: the expression is the one word that is not NAME=VALUE, wherever it stands."""
    if args.expression is None:  # --network: no expression
        return
    words = [args.expression, *args.values]
    expressions = [word for word in words if "=" not in word]
    if len(expressions) == 1:
        args.expression = expressions[0]
        args.values = [word for word in words if word is not expressions[0]]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("stepgrad")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def _build_parser() -> argparse.ArgumentParser:
    from ..activations import ACTIVATIONS
    from ..datasets import DATASETS, DEFAULT_RECIPE
    from ..losses import LOSSES
    from ..optim import OPTIMIZERS

    examples = argparse.RawDescriptionHelpFormatter
    parser = _Parser(prog="stepgrad", description=_("Watch backprop work, one node at a time."),
                     formatter_class=examples, epilog=_(EXAMPLES))
    parser.add_argument("--version", action="version", version=f"stepgrad {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    explain = commands.add_parser("explain", help=_("evaluate an expression and explain its backward pass node by node"),
                                  description=_("Evaluate an expression and explain its backward pass node by node."),
                                  formatter_class=examples, epilog=_(EXPLAIN_EXAMPLES))
    explain.add_argument("expression", nargs="?",
                         help=_('for example "tanh(x1*w1 + x2*w2 + b)" (put -- before one that starts with -)'))
    explain.add_argument("values", nargs="*", metavar="NAME=VALUE", help=_("a value for each name in the expression"))
    explain.add_argument("--svg", metavar="FILE", help=_("also write the graph's drawing as SVG"))
    explain.add_argument("--png", metavar="FILE", help=_("also write the graph's drawing as PNG"))
    explain.add_argument("--html", metavar="FILE", help=_("also write every step as one web page (works offline)"))
    explain.add_argument("--quiz", action="store_true",
                         help=_("ask for each backward step's local derivative and new grad before showing it: "
                                "on the page with --html, else here in the terminal"))
    explain.add_argument("--network", metavar="NAME",
                         help=_("instead of an expression, a network the course works by hand: 2-2-2 or 2-4-1 "
                                "(sigmoid, mean squared error)"))
    _lang_option(explain)
    explain.set_defaults(run=_explain)

    default = _("(default: {value})")
    train = commands.add_parser("train", help=_("train a network on a dataset"), description=_("Train a network on a dataset."),
                                formatter_class=examples, epilog=_recipes(DATASETS) + "\n\n" + _(TRAIN_EXAMPLES))
    train.add_argument("--data", choices=DATASETS, default="moons",
                       help="; ".join(f"{name}: {_(dataset.about)}" for name, dataset in DATASETS.items())
                       + " " + default.format(value="moons"))
    train.add_argument("--data-dir", metavar="DIR",
                       help=_("where --data mnist finds its files (default: $STEPGRAD_DATA/mnist or ~/.cache/stepgrad/mnist)"))
    train.add_argument("--samples", type=_positive(int, MAX_SAMPLES), default=200, metavar="N",
                       help=_("training points for the synthetic datasets, at most {maximum}").format(maximum=MAX_SAMPLES)
                       + " " + default.format(value=200))
    train.add_argument("--model", choices=("mlp", "cnn"), default="mlp",
                       help=_("mlp: dense layers; cnn (needs --data digits): Conv2d(1, CHANNELS, 3), "
                              "MaxPool2d(2), the activation, Flatten, then the --hidden layers")
                       + " " + default.format(value="mlp"))
    train.add_argument("--channels", type=_positive(int, MAX_CHANNELS), metavar="N",
                       help=_("--model cnn: filters in the convolution, at most {maximum}").format(maximum=MAX_CHANNELS)
                       + " " + default.format(value=8))
    train.add_argument("--hidden", type=_sizes, metavar="N,N,...",
                       help=_("hidden layer sizes, comma-separated, each at most {maximum} "
                              "(default: 16,16 for mlp, none for cnn)").format(maximum=MAX_LAYER_SIZE))
    train.add_argument("--activation", choices=ACTIVATIONS, default="relu",
                       help=_("hidden-layer activation") + " " + default.format(value="relu"))
    train.add_argument("--loss", choices=LOSSES,
                       help=_("default: hinge for two classes, cross_entropy for more"))
    recipe = _("(default: {value}, or --data's own: see below)")
    train.add_argument("--optimizer", choices=OPTIMIZERS, help=recipe.format(value=DEFAULT_RECIPE["optimizer"]))
    train.add_argument("--lr", type=_positive(float), help=_("learning rate (default: {defaults}, or --data's own)").format(
        defaults=", ".join(f"{name} {entry.lr:g}" for name, entry in OPTIMIZERS.items())))
    train.add_argument("--final-lr", type=_non_negative, metavar="LR",
                       help=_("let the learning rate fall linearly to this by the last epoch (default: constant)"))
    train.add_argument("--momentum", type=_fraction, default=0.0,
                       help=_("SGD momentum in [0, 1)") + " " + default.format(value=0))
    train.add_argument("--weight-decay", type=_non_negative, default=0.0,
                       help=_("L2 weight decay") + " " + default.format(value=0))
    train.add_argument("--dropout", type=_fraction, default=0.0,
                       help=_("dropout after hidden layers") + " " + default.format(value=0))
    train.add_argument("--epochs", type=_positive(int, MAX_EPOCHS),
                       help=_("passes over the data, at most {maximum}").format(maximum=MAX_EPOCHS)
                       + " " + recipe.format(value=DEFAULT_RECIPE["epochs"]))
    train.add_argument("--batch-size", type=_positive(int),
                       help=_("mini-batch size (default: the full batch, or --data's own)"))
    train.add_argument("--validation-split", type=_fraction, metavar="FRACTION",
                       help=_("the fraction of the training data held back to validate on after every epoch "
                              "(the test split is measured once, at the end)") + " "
                       + recipe.format(value=DEFAULT_RECIPE["validation_split"]))
    train.add_argument("--max-norm", type=_positive(float), metavar="C",
                       help=_("after every step, rescale each neuron's incoming weights to length at most C "
                              "(callbacks.MaxNorm)"))
    train.add_argument("--clip", type=_positive(float), metavar="N",
                       help=_("before every step, scale the gradients down to a total length of at most N "
                              "(callbacks.ClipGradNorm)"))
    train.add_argument("--seed", type=_seed, default=0,
                       help=_("seed for data, weights and shuffling") + " " + default.format(value=0))
    train.add_argument("--save", type=_file_to_write, metavar="FILE", help=_("save the trained model as JSON"))
    train.add_argument("--plots", type=_directory_to_write, metavar="DIR",
                       help=_("write loss, decision-boundary and gradient-norm PNGs here"))
    train.add_argument("--compiled", action="store_true",
                       help=_("trace the network once and train whole batches with NumPy (autograd.compile): much faster"))
    train.add_argument("--quiet", action="store_true", help=_("no progress bar"))
    _lang_option(train)
    train.set_defaults(run=_train)

    demo = commands.add_parser("demo", help=_("train micrograd's demo network (2-16-16-1, relu) on 100 two-moons points "
                                              "in seconds, print its accuracy and write its pictures into --out"),
                               description=_("micrograd's demo, faster: a 2-16-16-1 relu network learns two moons with the "
                                             "hinge loss, then the decision boundary, the loss curves and one neuron's graph "
                                             "with its gradients are written into --out."))
    demo.add_argument("--out", default="stepgrad-demo", metavar="DIR", help=_("where to write the pictures"))
    demo.add_argument("--quiet", action="store_true", help=_("no progress bar"))
    _lang_option(demo)
    demo.set_defaults(run=_demo)
    parser.commands = {"explain": explain, "train": train, "demo": demo}  # type: ignore[attr-defined]
    return parser


def _asked_language(argv: list[str]) -> str | None:
    """The `--lang` of the command line, read before parsing it (the help is written in it), or
    None; an unknown one is left for argparse to refuse."""
    for i, token in enumerate(argv):
        if token == "--":
            break
        value = token[len("--lang="):] if token.startswith("--lang=") else argv[i + 1] if token == "--lang" and i + 1 < len(argv) else None
        if value is not None:
            try:
                return check_language(value)
            except ValueError:
                return None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    with language(_asked_language(argv)) as lang, _argparse_in(lang):
        return _main(argv)


def _main(argv: list[str]) -> int:
    try:
        check_engine()  # first: the parser's choices come from the library, which needs the engine
    except ShadowedEngineError as error:
        print(_("stepgrad: error: {error}").format(error=error), file=sys.stderr)
        return EXIT_USAGE
    parser = build_parser()
    if not argv:  # `stepgrad` alone: what it can do
        parser.print_help()
        return 0
    hint = _dash_hint(argv)
    if hint:
        print(_("stepgrad explain: error: {message}").format(message=hint), file=sys.stderr)
        return EXIT_USAGE
    if argv[0] == "explain" and "--" not in argv:  # options and values in any order: `"x*x" --svg a.svg x=3`
        args = parser.commands["explain"].parse_intermixed_args(argv[1:], argparse.Namespace(command="explain"))
        _expression_first(args)
    else:
        args = parser.parse_args(argv)
    try:
        args.run(args)
    except (ValueError, ArithmeticError, OSError) as error:  # a TypeError or KeyError is a bug: show it
        print(_("stepgrad {command}: error: {message}").format(command=args.command, message=one_line(str(error))),
              file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(_("stepgrad {command}: interrupted").format(command=args.command), file=sys.stderr)
        return 130
    return 0
