"""The `stepgrad` command: `explain` an expression, `train` a network, `demo` the main job.

Every failure a user can cause ends in one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (not usage plus error) and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _explain(args: argparse.Namespace) -> None:
    from autograd.explain import explain

    print(explain(args.expression, args.values, svg=args.svg, png=args.png))


def _train(args: argparse.Namespace) -> None:
    from nets.commands import train

    train(args)


def _demo(args: argparse.Namespace) -> None:
    from nets.commands import demo

    demo(args)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="stepgrad", description="Watch backprop work, one node at a time.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    explain = commands.add_parser("explain", help="evaluate an expression and explain its backward pass node by node")
    explain.add_argument("expression", help='for example "tanh(x1*w1 + x2*w2 + b)"')
    explain.add_argument("values", nargs="*", metavar="NAME=VALUE", help="a value for each name in the expression")
    explain.add_argument("--svg", metavar="FILE", help="also write the graph's drawing as SVG")
    explain.add_argument("--png", metavar="FILE", help="also write the graph's drawing as PNG")
    explain.set_defaults(run=_explain)

    train = commands.add_parser("train", help="train a network on a dataset")
    train.set_defaults(run=_train)

    demo = commands.add_parser("demo", help="the main job: train a 2-16-16-1 network on two moons")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except (ValueError, TypeError, ArithmeticError, OSError, KeyError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"stepgrad {args.command}: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"stepgrad {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
