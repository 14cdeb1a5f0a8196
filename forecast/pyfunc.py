"""The corrector as an MLflow pyfunc model: one ``models:/vnaqi-<pollutant>@champion`` URI loads it.

A thin wrapper (mlforecast's pattern): the model's only artefact is the folder a
:class:`forecast.corrector.CorrectorModel` writes with :meth:`~forecast.corrector.CorrectorModel.save`,
logged under the artefact key :data:`CORRECTOR_ARTIFACT`. Loading it through MLflow::

    model = mlflow.pyfunc.load_model("models:/vnaqi-pm25@champion")
    frame = model.predict(feature_table)                      # forecast, q10, q50, q90 [µg/m³]
    corrector = model.unwrap_python_model().corrector          # the CorrectorModel itself

Importing this module has no side effects (no tracking URI, no logging set-up).
"""

from __future__ import annotations

import logging
from typing import Any

import mlflow.pyfunc
import pandas as pd

from forecast.corrector import CorrectorModel

logger = logging.getLogger(__name__)

CORRECTOR_ARTIFACT = "corrector"
"""Artefact key (and folder name under the model's ``artifacts/``) of the saved corrector."""


class CorrectorPyfunc(mlflow.pyfunc.PythonModel):
    """MLflow pyfunc around a saved :class:`~forecast.corrector.CorrectorModel`.

    Attributes
    ----------
    corrector : CorrectorModel or None
        The loaded corrector; ``None`` until :meth:`load_context` ran.
    """

    def __init__(self) -> None:
        self.corrector: CorrectorModel | None = None

    def load_context(self, context: Any) -> None:
        """Load the corrector folder logged under the ``corrector`` artefact."""
        try:
            folder = context.artifacts[CORRECTOR_ARTIFACT]
        except KeyError as exc:
            raise FileNotFoundError(
                f"this MLflow model has no {CORRECTOR_ARTIFACT!r} artefact; it was not logged by vnaqi"
            ) from exc
        self.corrector = CorrectorModel.load(folder)
        logger.debug("loaded %s corrector from %s", self.corrector.pollutant, folder)

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Forecast and 10/50/90 % quantiles [µg/m³] for each row of a feature table.

        Parameters
        ----------
        context : mlflow.pyfunc.PythonModelContext
            Unused (the corrector was loaded in :meth:`load_context`).
        model_input : pandas.DataFrame
            A feature table holding at least the model's columns.
        params : dict, optional
            Unused; accepted for the pyfunc interface.

        Returns
        -------
        pandas.DataFrame
            ``forecast``, ``q10``, ``q50``, ``q90`` [µg/m³], same index as ``model_input``.
        """
        if self.corrector is None:
            raise RuntimeError("CorrectorPyfunc.predict called before load_context")
        return self.corrector.predict(model_input)
