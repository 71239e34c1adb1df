"""Making sure `import autograd` finds stepgrad's engine, not another package of that name.

HIPS autograd (on PyPI, and a dependency of PennyLane) is also imported as `autograd`.
Installed beside stepgrad, one of the two wins, and stepgrad would fail deep inside an import
with "cannot import name 'Value' from 'autograd'".  This says what is wrong, in one line.
"""

from __future__ import annotations


class ShadowedEngineError(ImportError):
    """Another package named `autograd` is imported instead of stepgrad's engine."""


def check_engine() -> None:
    """Import `autograd`, and raise ShadowedEngineError if it is not stepgrad's engine."""
    import autograd  # here, not at the top: importing this module must never fail

    if not hasattr(autograd, "Value"):
        where = getattr(autograd, "__file__", None) or ", ".join(getattr(autograd, "__path__", []))
        raise ShadowedEngineError(
            f"another package named 'autograd' ({where}) shadows stepgrad's engine; "
            "install stepgrad in a virtual environment of its own, without that package (python -m venv)"
        )
