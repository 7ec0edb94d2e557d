"""Errors raised by the pricing catalog."""

from collections.abc import Sequence

from leads.errors import ClinchError


class CatalogError(ClinchError):
    """Base for every pricing catalog error."""


class InvalidCatalog(CatalogError):
    """A catalog file could not be read: each problem names a field and what to fix."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{source}: {problem}" for problem in self.problems))


class PlanNotFound(CatalogError):
    """No plan in the catalog has the requested id."""

    def __init__(self, plan_id: str, *, known: Sequence[str] = ()) -> None:
        self.plan_id = plan_id
        self.known = tuple(known)
        listed = ", ".join(self.known) if self.known else "none"
        super().__init__(f'no plan with id "{plan_id}" (known plans: {listed})')


class PriceNotListed(CatalogError):
    """The plan is sold through sales and has no list price."""

    def __init__(self, plan_id: str) -> None:
        self.plan_id = plan_id
        super().__init__(f'the "{plan_id}" plan has no listed price: it is quoted by sales')


class CheckoutLinkInvalid(ClinchError):
    """A checkout link was altered, or was not made by this installation."""


class CheckoutLinkExpired(ClinchError):
    """A checkout link is older than its lifetime."""


class PaymentSignatureInvalid(ClinchError):
    """A payment webhook whose signature is missing, malformed, wrong or too old."""


class PaymentEventInvalid(ClinchError):
    """A signed payment event that cannot be turned into a purchase (a field is missing)."""
