"""Signed checkout links: what a link offers, verified (the checkout page comes with nurture)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter

from api.deps import ResourcesDep
from api.schemas import ErrorBody
from api.schemas_chat import CheckoutOfferOut
from checkout.links import read_checkout

router = APIRouter(prefix="/v1", tags=["checkout"])


@router.get(
    "/checkout/{token}",
    response_model=CheckoutOfferOut,
    summary="What a signed checkout link offers (public; 410 when expired, 400 when altered)",
    responses={400: {"model": ErrorBody}, 410: {"model": ErrorBody}},
)
def get_checkout_offer(token: str, resources: ResourcesDep) -> CheckoutOfferOut:
    """Verify a checkout link and return its plan, period and exact price."""
    offer = read_checkout(resources.signing_key, token, max_age_s=resources.checkout_ttl_s)
    return CheckoutOfferOut(
        plan_id=offer.plan_id,
        plan_name=offer.plan_name,
        period=offer.period,
        unit_price=str(offer.unit_price),
        currency=offer.currency,
        lead_id=offer.lead_id,
        issued_at=offer.issued_at,
        expires_at=offer.issued_at + timedelta(seconds=resources.checkout_ttl_s),
    )
