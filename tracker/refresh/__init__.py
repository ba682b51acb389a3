"""The refresh: one full cycle for every report.

:mod:`tracker.refresh.pipeline` is the orchestrator, the only module that
knows the order of the stages; the other modules here are its steps that need
the store (cited-source checks, matching and suggesting, publishing). Callers
use :func:`run_refresh` through :class:`tracker.app.Tracker`.
"""

from tracker.refresh.pipeline import run_refresh
from tracker.refresh.state import RefreshEvents

__all__ = ["RefreshEvents", "run_refresh"]
