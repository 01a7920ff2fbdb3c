"""Who may hold a session: an account with at least one active membership (issue 14).

Deactivation is per organisation (Membership.is_active). Django's ModelBackend asks
`user_can_authenticate` both when logging in and on every request that reads the session's
user, so a person deactivated in their last organisation can neither log in nor keep the
session they had, exactly as an inactive account. Staff accounts (the admin) need no
membership."""

from typing import Any

from django.contrib.auth.backends import ModelBackend

from workshops.models import Membership

BACKEND = "workshops.auth.MembershipBackend"


class MembershipBackend(ModelBackend):
    def user_can_authenticate(self, user: Any) -> bool:
        if not super().user_can_authenticate(user):
            return False
        if user.is_staff:
            return True
        return Membership.objects.filter(user=user, is_active=True).exists()
