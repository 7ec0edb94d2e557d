"""Errors of the scoring package: each says what went wrong and what to do about it."""

from __future__ import annotations

from leads.errors import ClinchError


class ScoringError(ClinchError):
    """Base of every scoring error."""


class InvalidTrainingData(ScoringError):
    """The CSV or the table built from it cannot be trained on."""


class ModelNotTrained(ScoringError):
    """No model has been trained or promoted yet."""


class ModelNotFound(ScoringError):
    """A named model version does not exist in the registry."""


class PromotionRefused(ScoringError):
    """A version was not promoted (it does not beat the current one, or cannot be compared)."""


class CorruptModel(ScoringError):
    """A model version on disk is missing a file or holds unreadable data."""


class InvalidScoringInput(ScoringError):
    """Leads or settings given to the scorer cannot be scored (no known column, bad bands)."""
