"""The public API is deliberate: everything in __all__ exists and is documented."""

from __future__ import annotations

import csqm


def test_all_names_exist_and_have_docstrings() -> None:
    for name in csqm.__all__:
        obj = getattr(csqm, name)
        if name != "__version__":
            assert obj.__doc__, f"csqm.{name} has no docstring"


def test_public_callables_are_exported() -> None:
    public = {n for n in dir(csqm) if not n.startswith("_") and callable(getattr(csqm, n))}
    public -= {"annotations", "Path", "Any"}
    assert public <= set(csqm.__all__), public - set(csqm.__all__)
