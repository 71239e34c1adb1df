"""stepgrad's engine: scalar reverse-mode automatic differentiation, in pure Python.

    >>> from autograd import Value
    >>> x = Value(3.0, label="x")
    >>> y = x * x + 2 * x
    >>> y.backward()
    >>> x.grad  # dy/dx = 2x + 2
    8.0
"""

from .compile import Tape, compile  # noqa: A004 - autograd.compile (its batched rules fill OPS); NumPy is imported when it is called
from .draw import draw_graph
from .ops import OPS, Op
from .gradcheck import GradcheckResult, GradcheckRow, gradcheck, gradcheck_leaves
from .steps import Step, backward_steps
from .stepview import Stepper
from .value import Value, backward_order, gc_paused, max, min, no_grad, operation, pass_gradient, sum, topological, weighted_sum  # noqa: F401 - sum/max/min are autograd's, kept out of __all__ so * never shadows the builtins

__all__ = [
    "Value",
    "OPS",
    "Op",
    "operation",
    "Tape",
    "no_grad",
    "gc_paused",
    "backward_order",
    "topological",
    "pass_gradient",
    "weighted_sum",
    "gradcheck",
    "gradcheck_leaves",
    "GradcheckResult",
    "GradcheckRow",
    "draw_graph",
    "backward_steps",
    "Step",
    "Stepper",
]
