"""Who may reach which agreement. Members see only their organisation's agreements ("does not
exist" and "not yours" both answer 404); an owner reaches one agreement through their private
link and nothing else."""

from django.shortcuts import get_object_or_404

from agreements.models import Agreement, Owner
from workshops.models import Organisation

# token_urlsafe(32) gives 43 characters; anything far longer is not one of ours.
MAX_TOKEN_LENGTH = 64


def access_agreement(organisation: Organisation, pk: int | str) -> Agreement:
    return get_object_or_404(
        Agreement.objects.select_related("organisation", "workshop", "live", "block", "principle"),
        organisation=organisation,
        pk=pk,
    )


def access_owner(agreement: Agreement, pk: int | str) -> Owner:
    """An owner of this agreement (another agreement's owner answers 404)."""
    return get_object_or_404(Owner, agreement=agreement, pk=pk)


def owner_for_token(token: str) -> Owner | None:
    """The owner behind a private link, or None when the link is mistyped, revoked, replaced
    by a renewed one, or points at an agreement the room did not agree."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return (
        Owner.objects.select_related("agreement__organisation", "agreement__workshop", "area")
        .filter(
            token=token,
            revoked_at__isnull=True,
            agreement__outcome=Agreement.Outcome.AGREED,
        )
        .first()
    )
