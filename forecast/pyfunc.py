"""The correctors as MLflow pyfunc models: one ``models:/vnaqi-<pollutant>@champion`` URI loads any kind.

A thin wrapper (mlforecast's pattern): the model's only artefact is the folder a
:class:`forecast.corrector.CorrectorModel` writes with :meth:`~forecast.corrector.CorrectorModel.save`,
logged under the artefact key :data:`CORRECTOR_ARTIFACT`. Loading it through MLflow::

    model = mlflow.pyfunc.load_model("models:/vnaqi-pm25@champion")
    frame = model.predict(feature_table)                      # forecast, q10, q50, q90 [µg/m³]
    corrector = model.unwrap_python_model().corrector          # the CorrectorModel itself

An LSTM or a blend (:class:`RowsPyfunc`, artefact ``sequence`` or ``blend``) forecasts whole 72 h
trajectories from the history before each issue, so it takes a *request* instead of a feature table: rows
of ``issue_time`` [UTC] and ``station_id``, and the param ``home`` (a vnaqi home whose archive holds the
observations and met)::

    model = mlflow.pyfunc.load_model("models:/vnaqi-pm25@champion")
    request = pd.DataFrame({"issue_time": ["2015-03-01 00:00"], "station_id": ["beijing-aotizhongxin"]})
    rows = model.predict(request, params={"home": "/srv/vnaqi"})   # lead_h, valid_time, forecast, q10 …

Issue times are naive UTC (MLflow's schema holds naive datetimes).

Importing this module has no side effects (no tracking URI, no logging set-up).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pandas as pd

from forecast.corrector import CorrectorModel
from forecast.model_kinds import ARTIFACT_KEYS, as_row_forecaster, load_model_folder, model_uses_met

logger = logging.getLogger(__name__)

CORRECTOR_ARTIFACT = ARTIFACT_KEYS["lightgbm"]
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


REQUEST_COLUMNS = ("issue_time", "station_id")
"""Columns of a :class:`RowsPyfunc` request."""


class RowsPyfunc(mlflow.pyfunc.PythonModel):
    """MLflow pyfunc around a saved LSTM or blend: a request (issue times × stations) → long forecast rows.

    Attributes
    ----------
    model : SequenceModel or ModelBlend or None
        The loaded model; ``None`` until :meth:`load_context` ran.
    """

    def __init__(self) -> None:
        self.model: Any = None

    def load_context(self, context: Any) -> None:
        """Load the folder logged under the ``sequence`` or ``blend`` artefact."""
        keys = [ARTIFACT_KEYS["lstm"], ARTIFACT_KEYS["blend"]]
        found = [context.artifacts[k] for k in keys if k in context.artifacts]
        if not found:
            raise FileNotFoundError(f"this MLflow model has none of the artefacts {keys}; it was not logged by vnaqi")
        self.model = load_model_folder(found[0])

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Forecast rows for each requested issue time and station (all pollutants, leads 1 … 72 h).

        Parameters
        ----------
        model_input : pandas.DataFrame
            ``issue_time`` (UTC; naive times are taken as UTC) and ``station_id``.
        params : dict
            ``home``: the vnaqi home whose archive holds the stations' observations (and met).

        Returns
        -------
        pandas.DataFrame
            ``issue_time``, ``station_id``, ``pollutant``, ``lead_h``, ``valid_time``, ``forecast``, ``q10``,
            ``q50``, ``q90`` [µg/m³] (times as naive UTC).
        """
        from training.hindcast import ArchiveSource  # the archive reader; not needed to load the model

        if self.model is None:
            raise RuntimeError("RowsPyfunc.predict called before load_context")
        missing = [c for c in REQUEST_COLUMNS if c not in model_input]
        if missing:
            raise ValueError(f"the request lacks column(s) {', '.join(missing)}; it needs {', '.join(REQUEST_COLUMNS)}")
        home = (params or {}).get("home")
        if not home or not Path(str(home)).expanduser().is_dir():
            raise ValueError(f"params['home'] must name an existing vnaqi home (got {home!r})")
        request = pd.DataFrame(
            {
                "issue_time": pd.to_datetime(model_input["issue_time"], utc=True),
                "station_id": model_input["station_id"].astype(str),
            }
        ).drop_duplicates()
        issues = pd.DatetimeIndex(request["issue_time"].unique()).sort_values()
        stations = tuple(sorted(set(request["station_id"])))
        source = ArchiveSource(Path(str(home)).expanduser(), stations, None, model_uses_met(self.model))
        rows = as_row_forecaster(self.model).forecast_rows(source.load(issues[0], issues[-1]), issues)
        rows = rows.merge(request, on=list(REQUEST_COLUMNS), how="inner")
        for column in ("issue_time", "valid_time"):
            rows[column] = rows[column].dt.tz_convert("UTC").dt.tz_localize(None)
        return rows.reset_index(drop=True)
