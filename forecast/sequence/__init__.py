"""Sequence (encoder–decoder LSTM) corrector: arrays, network and the saved model (needs the ``lstm`` extra).

:mod:`forecast.sequence.data` needs only numpy/pandas; :class:`SequenceModel` (``forecast.sequence.model``)
and the network need torch, imported on first use of those names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forecast.sequence.model import SequenceModel

__all__ = ["SequenceModel"]


def __getattr__(name: str) -> Any:
    if name == "SequenceModel":
        from forecast.sequence.model import SequenceModel

        return SequenceModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
