"""Errors of nurture: each an expected outcome a marketer or an operator can act on."""

from __future__ import annotations

from leads.errors import ClinchError


class InvalidSequence(ClinchError):
    """A sequence definition that cannot be used; the message lists every problem found."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"{source}: not loaded; " + "; ".join(problems))
        self.source = source
        self.problems = tuple(problems)


class InvalidTemplate(ClinchError):
    """An email template that cannot be used (bad Jinja2, an unknown variable, a missing part)."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"{source}: not loaded; " + "; ".join(problems))
        self.source = source
        self.problems = tuple(problems)


class SequenceNotFound(ClinchError):
    """No sequence has this key (or it has no such version)."""


class TemplateNotFound(ClinchError):
    """No email template has this name."""


class StepNotFound(ClinchError):
    """The sequence has no step with this id."""


class EnrollmentNotFound(ClinchError):
    """No enrollment has this id."""


class SendNotFound(ClinchError):
    """No nurture send has this id."""


class SendNotDead(ClinchError):
    """Only a send that ran out of retries can be retried by hand."""


class NurtureLinkInvalid(ClinchError):
    """An unsubscribe or tracked link that was altered or cut."""


class NurtureLinkExpired(ClinchError):
    """An unsubscribe or tracked link past its lifetime."""
