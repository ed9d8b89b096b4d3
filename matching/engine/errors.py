"""Typed errors of the matching engine.

Every failure the engine can detect is one of these; nothing is printed. The Django side maps
them onto a failed match run with a readable message.
"""

from __future__ import annotations

from typing import Any


class EngineError(Exception):
    """Base class of every error raised by :mod:`matching.engine`."""

    def __reduce__(self) -> tuple[Any, ...]:
        # keep the keyword attributes when an error crosses a process boundary (forked solves)
        return (self.__class__, (str(self),), self.__dict__)


class InfeasibleInput(EngineError):
    """The input cannot be turned into a well-formed model.

    Raised for unknown materials, a unit that does not fit the material's basis, a piece need
    accepting several materials, a reversed availability window, duplicate ids and the like.
    ``listing`` names the offending listing when there is one (``("offer", 12)``).
    """

    def __init__(self, message: str, *, listing: tuple[str, int] | None = None) -> None:
        super().__init__(message)
        self.listing = listing


class ScalingOverflow(EngineError):
    """Integer-scaled quantities or costs would not fit in a signed 64-bit integer."""


class SolverFailure(EngineError):
    """A solver returned a status that is neither optimal nor a usable feasible solution."""

    def __init__(self, message: str, *, status: str = "") -> None:
        super().__init__(message)
        self.status = status


class SolverTimeout(EngineError):
    """The time limit was hit before optimality was proven and the caller required a proof.

    ``bound`` is the best known bound on the primary objective (diverted, i.e. waste-bound kg
    moved, for ``divert_then_distance``, net avoided kg CO2e for ``net_climate``); ``solution`` is the best
    feasible solution found, so a caller may still use it.
    """

    def __init__(self, message: str, *, bound: float | None = None, solution: object | None = None) -> None:
        super().__init__(message)
        self.bound = bound
        self.solution = solution
