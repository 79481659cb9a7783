"""Errors of the test-call programme (all :class:`csqm.errors.CsqmError`, so the CLI prints one sentence)."""

from __future__ import annotations

from csqm.errors import ConfigError
from csqm.web.errors import ForbiddenError


class TestcallError(ConfigError):
    """A plan, scenario, schedule or record the programme cannot use (the API answers 400)."""

    __test__ = False  # not a pytest class


class TestcallFileError(TestcallError):
    """A YAML or CSV file is invalid; the message lists every problem with ``file:line`` or row and field."""

    def __init__(self, what: str, problems: list[str]) -> None:
        shown = problems[:50]
        more = f" (and {len(problems) - 50} more)" if len(problems) > 50 else ""
        super().__init__(f"{what} is invalid: " + "; ".join(shown) + more)
        self.problems = problems


class Forbidden(ForbiddenError):
    """The caller's role may not do this at all (the API answers 403; objects out of scope give 404)."""
