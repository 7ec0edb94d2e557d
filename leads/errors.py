"""The base error every Clinch package derives its errors from."""


class ClinchError(Exception):
    """A domain error: an expected outcome that the caller can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LeadNotFound(ClinchError):
    """No lead has this id."""


class InvalidEvent(ClinchError):
    """An event the store refuses; `code` names the rule, the message is the reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class ConversationNotFound(ClinchError):
    """No chat session has this id."""
