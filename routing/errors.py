"""Errors of routing: each an expected outcome a rep, a manager or an operator can act on."""

from __future__ import annotations

from leads.errors import ClinchError


class InvalidRules(ClinchError):
    """A rules file that cannot be used; the message lists every problem found."""


class NotYourLead(ClinchError):
    """A rep acted on a lead that is assigned to someone else."""


class LeadNotAssigned(ClinchError):
    """The lead has no live assignment (it was re-assigned, closed, or never routed)."""


class InvalidDisposition(ClinchError):
    """A disposition that is not one of the outcomes, or lacks the reason it needs."""


class NotAManager(ClinchError):
    """A manager's action asked of a rep who does not manage a team."""


class InvalidWebhookUrl(ClinchError):
    """A webhook URL that is not an absolute http(s) URL with a host."""


class NotificationNotFound(ClinchError):
    """No notification has this id."""


class NotificationNotDead(ClinchError):
    """Only a dead notification (one that ran out of retries) can be retried by hand."""
