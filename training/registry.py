"""Champion management in the MLflow registry (``vnaqi promote``): aliases, not stages.

The operational cycle loads ``models:/vnaqi-<pollutant>@champion``. :func:`promote` moves that
alias to a new version only when the version is better: both scores are "lower is better"
(RMSE [µg/m³]) computed by the caller on the *same* verification period. ``force=True`` overrides
the comparison but needs a written reason, which is recorded on the version with who and when.
The replaced champion keeps the alias ``previous-champion`` so a rollback is one promote away.
"""

from __future__ import annotations

import getpass
import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from forecast.model_store import CHAMPION, PREVIOUS_CHAMPION, ModelNotFoundError, is_not_found

logger = logging.getLogger(__name__)


class PromotionRefused(RuntimeError):
    """The candidate is not better than the champion (and the promotion was not forced)."""


@dataclass(frozen=True)
class PromotionResult:
    """What :func:`promote` did.

    Attributes
    ----------
    name, version : str
        The registered model and the promoted version.
    previous_version : str or None
        The champion before (now ``previous-champion``), if any.
    changed : bool
        False when ``version`` already was the champion (nothing moved).
    forced : bool
        Promoted with ``force=True``.
    reason : str
        The recorded reason (given, or why the rules allowed it).
    candidate_score, champion_score : float or None
        The scores compared (lower is better).
    promoted_by, promoted_at : str
        Who and when (UTC ISO).
    """

    name: str
    version: str
    previous_version: str | None
    changed: bool
    forced: bool
    reason: str
    candidate_score: float | None
    champion_score: float | None
    promoted_by: str
    promoted_at: str


def champion(client: MlflowClient, name: str) -> ModelVersion | None:
    """The version holding the ``champion`` alias of ``name``; ``None`` when there is none
    (or no model of that name)."""
    try:
        return client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException as exc:
        if is_not_found(exc):
            return None
        raise


def _version(client: MlflowClient, name: str, version: str | int) -> ModelVersion:
    try:
        return client.get_model_version(name, str(version))
    except MlflowException as exc:
        if not is_not_found(exc):
            raise
        try:
            found = client.search_model_versions(f"name = '{name}'")
        except MlflowException:
            found = []
        existing = ", ".join(sorted((str(v.version) for v in found), key=int)) or "none"
        raise ModelNotFoundError(f"{name} has no version {version} to promote; versions: {existing}") from exc


def _fmt(score: float | None) -> str:
    return "n/a" if score is None else f"{score:.4g}"


def _usable(score: float | None) -> bool:
    return score is not None and math.isfinite(score)


def promote(
    client: MlflowClient,
    name: str,
    version: str | int,
    *,
    candidate_score: float | None,
    champion_score: float | None,
    force: bool = False,
    reason: str | None = None,
    who: str | None = None,
) -> PromotionResult:
    """Move the ``champion`` alias of ``name`` to ``version`` when the rules allow it.

    Parameters
    ----------
    client : MlflowClient
    name : str
        Registered model, e.g. ``vnaqi-pm25``.
    version : str or int
        The candidate version.
    candidate_score, champion_score : float or None
        Lower is better (RMSE [µg/m³]), both on the same verification period.
    force : bool
        Promote whatever the scores; needs ``reason``.
    reason : str, optional
        Why; mandatory with ``force``.
    who : str, optional
        Who promotes (default: the OS user).

    Returns
    -------
    PromotionResult

    Raises
    ------
    ValueError
        ``force`` without a non-empty ``reason``.
    ModelNotFoundError
        Unknown model or version.
    PromotionRefused
        There is a champion and the candidate is not strictly better (message gives both scores).
    """
    reason = (reason or "").strip() or None
    if force and reason is None:
        raise ValueError("a forced promotion needs a reason (--reason '…'); it is recorded on the version")
    candidate = _version(client, name, version)
    version = str(candidate.version)
    current = champion(client, name)
    previous = str(current.version) if current is not None else None
    who = who or _user()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    if previous == version:
        logger.info("%s version %s already is the champion; nothing to do", name, version)
        return PromotionResult(
            name,
            version,
            previous,
            False,
            force,
            reason or "already champion",
            candidate_score,
            champion_score,
            who,
            now,
        )
    if current is None:
        why = reason or "no previous champion"
    elif force:
        why = reason
    elif not (_usable(candidate_score) and _usable(champion_score)):
        raise PromotionRefused(
            f"cannot compare {name} version {version} (score {_fmt(candidate_score)}) with champion version "
            f"{previous} (score {_fmt(champion_score)}): both scores are needed, or use --force with a --reason"
        )
    elif candidate_score < champion_score:
        why = reason or f"score {_fmt(candidate_score)} < champion's {_fmt(champion_score)}"
    else:
        raise PromotionRefused(
            f"{name} version {version} scores {_fmt(candidate_score)}, not better than champion version {previous} "
            f"({_fmt(champion_score)}; lower is better): champion kept. Use --force with a --reason to override"
        )
    assert why is not None
    tags = {
        "promoted_by": who,
        "promoted_at": now,
        "promotion_reason": why,
        "promotion_forced": str(bool(force)).lower(),
        "promotion_candidate_score": _fmt(candidate_score) if candidate_score is None else repr(candidate_score),
        "promotion_champion_score": _fmt(champion_score) if champion_score is None else repr(champion_score),
        "promotion_previous_champion": previous or "none",
    }
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)
    if current is not None:
        client.set_registered_model_alias(name, PREVIOUS_CHAMPION, previous)
        client.set_model_version_tag(name, previous, "demoted_at", now)
    client.set_registered_model_alias(name, CHAMPION, version)  # the moment of truth, last
    logger.warning(
        "%s: champion %s → %s by %s%s (%s)",
        name,
        previous or "none",
        version,
        who,
        " [forced]" if force else "",
        why,
    )
    return PromotionResult(name, version, previous, True, force, why, candidate_score, champion_score, who, now)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry / no login name in containers
        return "unknown"
