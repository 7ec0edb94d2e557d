"""The base error every Clinch package derives its errors from."""


class ClinchError(Exception):
    """A domain error: an expected outcome that the caller can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
