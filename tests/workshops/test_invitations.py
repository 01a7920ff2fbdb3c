"""Invitations, the services: inviting, re-sending, revoking, the link's lookup and both ways
of accepting; every refusal leaves the database as it was."""

import datetime
import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from tests.conftest import PASSWORD
from workshops import invitations
from workshops.invitations import Problem
from workshops.models import Invitation, Membership
from workshops.people import member_set_roles
from workshops.services import member_create

NEW_PASSWORD = "puente-de-madera-2026"


@pytest.fixture
def clock(monkeypatch):
    """Moves `timezone.now()` forward by the days given."""

    real_now = timezone.now

    def move(days: float) -> None:
        later = real_now() + datetime.timedelta(days=days)
        monkeypatch.setattr(timezone, "now", lambda: later)

    return move


def _invite(manager, email="nora@aceros.co", *, is_facilitator=True, is_manager=False, by=None):
    return invitations.invite(
        organisation=manager.organisation,
        email=email,
        is_facilitator=is_facilitator,
        is_manager=is_manager,
        invited_by=(by or manager).user,
    )


def _refused(call, text: str) -> None:
    with pytest.raises(ValidationError) as raised:
        call()
    assert any(text in message for message in raised.value.messages), raised.value.messages


# Inviting


def test_invite_stores_only_the_tokens_hash_and_expires_in_seven_days(manager):
    invitation, token = _invite(manager, email="  Nora@Aceros.CO ")

    assert invitation.email == "nora@aceros.co"
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(Invitation.objects.filter(pk=invitation.pk).values().get())
    assert len(token) >= 40
    assert invitation.expires_at - invitation.sent_at == datetime.timedelta(days=7)
    assert invitation.invited_by == manager.user
    assert invitations.lookup(token) == invitations.Lookup(invitation, None)


def test_invitation_days_come_from_the_setting(manager, settings):
    settings.INVITATION_DAYS = 2
    invitation, _token = _invite(manager)
    assert invitation.expires_at - invitation.sent_at == datetime.timedelta(days=2)


def test_an_invitation_needs_a_role(manager):
    _refused(lambda: _invite(manager, is_facilitator=False), "Elige al menos un rol")
    assert not Invitation.objects.exists()


def test_an_address_that_is_not_an_email_is_refused(manager):
    _refused(lambda: _invite(manager, email="nora"), "correo electrónico válido")
    _refused(lambda: _invite(manager, email="no ra@aceros.co"), "correo electrónico válido")
    assert not Invitation.objects.exists()


def test_only_managers_invite_managers(manager, facilitator):
    _refused(
        lambda: _invite(manager, is_manager=True, by=facilitator),
        "Solo una persona gerente puede invitar",
    )
    _refused(
        lambda: _invite(manager, is_facilitator=True, is_manager=True, by=facilitator),
        "Solo una persona gerente puede invitar",
    )
    assert not Invitation.objects.exists()

    invitation, _token = _invite(manager, by=facilitator)
    assert invitation.is_facilitator and not invitation.is_manager
    boss, _token = _invite(manager, email="jefa@aceros.co", is_facilitator=False, is_manager=True)
    assert boss.is_manager and not boss.is_facilitator


def test_someone_of_another_organisation_cannot_invite_here(manager, outsider):
    _refused(lambda: _invite(manager, by=outsider), "Solo las personas de la organización")
    assert not Invitation.objects.exists()


def test_a_deactivated_member_cannot_invite(manager, facilitator):
    Membership.objects.filter(pk=facilitator.pk).update(is_active=False)
    _refused(lambda: _invite(manager, by=facilitator), "Solo las personas de la organización")


def test_an_active_member_is_refused_whatever_the_case(manager, facilitator):
    facilitator.user.email = "lili@aceros.co"
    facilitator.user.save(update_fields=["email"])
    _refused(lambda: _invite(manager, email="LILI@aceros.co"), "ya pertenece a Aceros del Valle")
    assert not Invitation.objects.exists()


def test_a_deactivated_member_is_to_be_reactivated_not_invited(manager, facilitator):
    facilitator.user.email = "lili@aceros.co"
    facilitator.user.save(update_fields=["email"])
    Membership.objects.filter(pk=facilitator.pk).update(is_active=False)
    _refused(lambda: _invite(manager, email="lili@aceros.co"), "reactivarlo en la página")
    assert not Invitation.objects.exists()


def test_a_member_of_another_organisation_may_be_invited(manager, outsider):
    outsider.user.email = "externo@textiles.mx"
    outsider.user.save(update_fields=["email"])
    invitation, _token = _invite(manager, email="externo@textiles.mx")
    assert invitation.organisation == manager.organisation


def test_a_second_pending_invitation_is_refused_until_the_first_expires(manager, clock):
    _invite(manager)
    _refused(lambda: _invite(manager, email="NORA@aceros.co"), "reenvíala")
    assert Invitation.objects.count() == 1

    clock(8)
    _invite(manager)
    assert Invitation.objects.count() == 2


def test_another_organisation_may_invite_the_same_address(manager, outsider):
    _invite(manager)
    _invite(outsider)
    assert Invitation.objects.count() == 2


# The link


def test_a_forged_or_mangled_token_is_invalid(manager):
    _invitation, token = _invite(manager)
    for forged in ("", "x", token[:-1], token + "a", token.upper(), "a" * 500):
        assert invitations.lookup(forged) == invitations.Lookup(None, Problem.INVALID)


def test_a_link_expires_after_its_days(manager, clock):
    invitation, token = _invite(manager)
    clock(6.9)
    assert invitations.lookup(token).problem is None
    clock(7.01)
    assert invitations.lookup(token) == invitations.Lookup(invitation, Problem.EXPIRED)


def test_resend_gives_a_new_link_and_a_new_expiry(manager, clock):
    invitation, old_token = _invite(manager)
    first_expiry = invitation.expires_at
    clock(3)

    new_token = invitations.resend(invitation=invitation, inviter=manager)

    assert new_token != old_token
    assert invitations.lookup(old_token).problem == Problem.INVALID
    assert invitations.lookup(new_token) == invitations.Lookup(invitation, None)
    invitation.refresh_from_db()
    assert invitation.expires_at > first_expiry
    assert invitation.sent_at == timezone.now()


def test_an_expired_invitation_can_be_resent(manager, clock):
    invitation, _token = _invite(manager)
    clock(10)
    token = invitations.resend(invitation=invitation, inviter=manager)
    assert invitations.lookup(token).problem is None


def test_resend_is_refused_once_the_address_is_a_member(manager, organisation):
    invitation, token = _invite(manager)
    member_create(
        organisation=organisation,
        username="nora",
        password=PASSWORD,
        email="nora@aceros.co",
        is_facilitator=True,
    )
    _refused(lambda: invitations.resend(invitation=invitation, inviter=manager), "ya pertenece")
    assert invitations.lookup(token).problem is None  # the old link is untouched


def test_resend_is_refused_while_a_newer_invitation_is_pending(manager, clock):
    old, _token = _invite(manager)
    clock(8)
    _invite(manager)
    _refused(lambda: invitations.resend(invitation=old, inviter=manager), "reenvíala")


def test_revoke_ends_the_link_and_cannot_be_resent(manager):
    invitation, token = _invite(manager)
    invitations.revoke(invitation=invitation)

    assert invitations.lookup(token) == invitations.Lookup(invitation, Problem.REVOKED)
    _refused(lambda: invitations.resend(invitation=invitation, inviter=manager), "fue anulada")
    _refused(lambda: invitations.revoke(invitation=invitation), "ya estaba anulada")
    # Revoked, the address may be invited again.
    _invite(manager)


# Accepting with a new account


def test_a_new_account_joins_with_the_invited_role(manager, organisation):
    invitation, token = _invite(manager, is_facilitator=True, is_manager=True)

    membership = invitations.accept_new_account(
        invitation=invitation, first_name=" Nora ", last_name="Peña", password=NEW_PASSWORD
    )

    user = membership.user
    assert user.username == "nora@aceros.co" and user.email == "nora@aceros.co"
    assert (user.first_name, user.last_name) == ("Nora", "Peña")
    assert user.check_password(NEW_PASSWORD)
    assert membership.organisation == organisation
    assert membership.is_facilitator and membership.is_manager and membership.is_active
    invitation.refresh_from_db()
    assert invitation.accepted_by == user and invitation.accepted_at is not None
    assert invitations.lookup(token) == invitations.Lookup(invitation, Problem.USED)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"first_name": "", "password": NEW_PASSWORD}, "Escribe tu nombre."),
        ({"first_name": "Nora", "password": "12345678"}, "contraseña"),
        ({"first_name": "Nora", "password": "corta"}, "contraseña"),
        ({"first_name": "Nora", "password": "nora@aceros.co"}, "contraseña"),
    ],
    ids=["no-name", "numeric", "short", "like-the-email"],
)
def test_a_bad_account_is_refused_and_changes_nothing(manager, fields, error):
    invitation, token = _invite(manager)
    _refused(
        lambda: invitations.accept_new_account(invitation=invitation, last_name="", **fields),
        error,
    )
    assert not get_user_model().objects.filter(username="nora@aceros.co").exists()
    assert invitations.lookup(token).problem is None


def test_a_used_link_cannot_make_a_second_account(manager):
    invitation, token = _invite(manager)
    # Both requests looked the invitation up before either accepted it.
    first, second = invitations.lookup(token).invitation, invitations.lookup(token).invitation
    invitations.accept_new_account(
        invitation=first, first_name="Nora", last_name="", password=NEW_PASSWORD
    )
    _refused(
        lambda: invitations.accept_new_account(
            invitation=second, first_name="Intrusa", last_name="", password=NEW_PASSWORD
        ),
        "ya no está disponible",
    )
    assert get_user_model().objects.filter(first_name="Intrusa").count() == 0
    assert Membership.objects.filter(user__username="nora@aceros.co").count() == 1


def test_a_link_that_expires_while_the_form_is_open_is_refused(manager, clock):
    invitation, _token = _invite(manager)
    clock(8)
    _refused(
        lambda: invitations.accept_new_account(
            invitation=invitation, first_name="Nora", last_name="", password=NEW_PASSWORD
        ),
        "ya no está disponible",
    )
    assert not get_user_model().objects.filter(username="nora@aceros.co").exists()


def test_a_link_resent_while_the_form_is_open_is_refused(manager):
    invitation, _token = _invite(manager)
    stale = Invitation.objects.get(pk=invitation.pk)
    invitations.resend(invitation=invitation, inviter=manager)
    _refused(
        lambda: invitations.accept_new_account(
            invitation=stale, first_name="Nora", last_name="", password=NEW_PASSWORD
        ),
        "ya no está disponible",
    )


def test_a_revoked_invitation_cannot_be_accepted(manager):
    invitation, _token = _invite(manager)
    stale = Invitation.objects.get(pk=invitation.pk)
    invitations.revoke(invitation=invitation)
    _refused(
        lambda: invitations.accept_new_account(
            invitation=stale, first_name="Nora", last_name="", password=NEW_PASSWORD
        ),
        "ya no está disponible",
    )


def test_an_account_made_meanwhile_is_not_duplicated(manager, other_organisation):
    invitation, token = _invite(manager)
    member_create(
        organisation=other_organisation,
        username="nora.p",
        password=PASSWORD,
        email="NORA@aceros.co",
        is_facilitator=True,
    )
    _refused(
        lambda: invitations.accept_new_account(
            invitation=invitation, first_name="Nora", last_name="", password=NEW_PASSWORD
        ),
        "Ya existe una cuenta con este correo",
    )
    assert invitations.lookup(token).problem is None


# Accepting with an existing account


def test_an_existing_account_adds_the_organisation(manager, outsider, organisation):
    outsider.user.email = "Externo@Textiles.mx"
    outsider.user.save(update_fields=["email"])
    invitation, token = _invite(manager, email="externo@textiles.mx")

    membership = invitations.accept_existing(invitation=invitation, user=outsider.user)

    assert membership.organisation == organisation and membership.user == outsider.user
    assert membership.is_facilitator and not membership.is_manager
    assert Membership.objects.filter(user=outsider.user, is_active=True).count() == 2
    assert invitations.lookup(token).problem == Problem.USED


def test_another_account_cannot_take_the_invitation(manager, outsider):
    invitation, token = _invite(manager, email="nora@aceros.co")
    _refused(
        lambda: invitations.accept_existing(invitation=invitation, user=outsider.user),
        "es para otro correo",
    )
    assert not Membership.objects.filter(user=outsider.user, organisation=manager.organisation)
    assert invitations.lookup(token).problem is None


def test_accepting_twice_with_an_account_is_refused(manager, outsider):
    outsider.user.email = "externo@textiles.mx"
    outsider.user.save(update_fields=["email"])
    invitation, token = _invite(manager, email="externo@textiles.mx")
    stale = invitations.lookup(token).invitation
    invitations.accept_existing(invitation=invitation, user=outsider.user)
    _refused(
        lambda: invitations.accept_existing(invitation=stale, user=outsider.user),
        "ya no está disponible",
    )


def test_a_member_deactivated_after_the_invitation_stays_deactivated(
    manager, facilitator, organisation
):
    facilitator.user.email = "lili@aceros.co"
    facilitator.user.save(update_fields=["email"])
    # Invited before being a member here (a raced invitation): the membership wins.
    Membership.objects.filter(pk=facilitator.pk).delete()
    invitation, token = _invite(manager, email="lili@aceros.co")
    Membership.objects.create(
        user=facilitator.user, organisation=organisation, is_facilitator=True, is_active=False
    )
    _refused(
        lambda: invitations.accept_existing(invitation=invitation, user=facilitator.user),
        "está desactivado",
    )
    assert not Membership.objects.get(user=facilitator.user).is_active
    assert invitations.lookup(token).problem is None


# Lists and access


def test_managers_manage_every_invitation_facilitators_their_own(manager, facilitator, outsider):
    mine, _t = _invite(manager, email="a@aceros.co", by=facilitator)
    theirs, _t = _invite(manager, email="b@aceros.co")
    elsewhere, _t = _invite(outsider, email="c@textiles.mx")

    assert [i.pk for i in invitations.open_invitations(manager)] == [theirs.pk, mine.pk]
    assert [i.pk for i in invitations.open_invitations(facilitator)] == [mine.pk]
    assert invitations.access_invitation(manager, mine.pk) == mine
    assert invitations.access_invitation(facilitator, mine.pk) == mine
    for membership, pk in ((facilitator, theirs.pk), (manager, elsewhere.pk)):
        with pytest.raises(Http404):
            invitations.access_invitation(membership, pk)


def test_open_invitations_leave_out_accepted_and_revoked_and_mark_expired(manager, clock):
    accepted, _t = _invite(manager, email="a@aceros.co")
    invitations.accept_new_account(
        invitation=accepted, first_name="Ana", last_name="", password=NEW_PASSWORD
    )
    revoked, _t = _invite(manager, email="b@aceros.co")
    invitations.revoke(invitation=revoked)
    waiting, _t = _invite(manager, email="c@aceros.co")

    assert [(i.pk, i.is_expired) for i in invitations.open_invitations(manager)] == [
        (waiting.pk, False)
    ]
    clock(8)
    assert [(i.pk, i.is_expired) for i in invitations.open_invitations(manager)] == [
        (waiting.pk, True)
    ]


# The email


def test_the_email_names_the_organisation_role_and_link(manager, mailoutbox):
    manager.user.last_name = "Ríos"
    manager.user.save(update_fields=["last_name"])
    invitation, token = _invite(manager, is_manager=True)
    link = f"https://puente.example.org/invitacion/{token}/"

    invitations.invitation_email(invitation=invitation, token=token, link=link)

    (mail,) = mailoutbox
    assert mail.to == ["nora@aceros.co"]
    assert mail.subject == "Te invitaron a Aceros del Valle en Puente"
    assert "Milena Ríos te invita a unirte a Aceros del Valle en Puente" in mail.body
    assert "como facilitador/a y gerente" in mail.body
    assert link in mail.body
    assert "vence el" in mail.body


def test_a_manager_demoted_since_cannot_resend_a_managers_invitation(manager):
    member_create(
        organisation=manager.organisation, username="otra", password=PASSWORD, is_manager=True
    )
    invitation, token = _invite(manager, is_manager=True, is_facilitator=False)
    member_set_roles(membership=manager, is_facilitator=True, is_manager=False)
    manager.refresh_from_db()
    _refused(lambda: invitations.resend(invitation=invitation, inviter=manager), "gerente")
    assert invitations.lookup(token).problem is None  # the old link is untouched
