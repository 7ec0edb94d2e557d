"""Errors of the retrieval package."""

from leads.errors import ClinchError


class RetrievalError(ClinchError):
    """Base error of retrieval."""


class VectorStoreBusy(RetrievalError):
    """The embedded vector store is held by another process."""


class VectorStoreUnavailable(RetrievalError):
    """The vector store cannot be reached or opened."""


class InvalidQuery(RetrievalError):
    """A search request that cannot be run."""
