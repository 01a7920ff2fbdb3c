"""Invitations through HTTP: inviting from the members page (managers) and the invitations
page (facilitators), re-sending and revoking, the console's link for the inviter, and the
public page a link opens, for a new account and for an existing one."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.conftest import PASSWORD
from workshops import invitations
from workshops.access import ACTIVE_ORGANISATION_KEY
from workshops.models import Invitation, Membership

NEW_PASSWORD = "puente-de-madera-2026"
PUBLIC = "https://puente.example.org"
CONSOLE = "config.mail.ConsoleEmailBackend"
LINK = re.compile(r"https://puente\.example\.org/invitacion/([\w-]+)/")


@pytest.fixture(autouse=True)
def _public_address(settings):
    settings.PUBLIC_URL = PUBLIC


@pytest.fixture
def console_mail(settings):
    settings.MAILERS = {"default": {"BACKEND": CONSOLE}}


def _invite(membership, email="nora@aceros.co", *, is_manager=False):
    return invitations.invite(
        organisation=membership.organisation,
        email=email,
        is_facilitator=True,
        is_manager=is_manager,
        invited_by=membership.user,
    )


def _main(html: str) -> str:
    """What the page says (the layout around it carries per-response nonces and tokens)."""
    return re.search(r'<main id="main".*</main>', html, re.S).group(0)


# Inviting


def test_the_members_page_has_the_invite_form_and_pending_invitations(
    manager_client: Client, manager, outsider
):
    _invite(manager, email="nora@aceros.co")
    _invite(outsider, email="otra@textiles.mx")
    page = manager_client.get("/organizacion/personas/")
    assert page.status_code == 200
    assert 'id="invite-form"' in page.text and "Enviar la invitación" in page.text
    assert "nora@aceros.co" in page.text and "Reenviar" in page.text and "Anular" in page.text
    assert "otra@textiles.mx" not in page.text


def test_a_manager_invites_and_the_email_carries_the_public_link(
    manager_client: Client, organisation, mailoutbox
):
    response = manager_client.post(
        "/organizacion/invitaciones/",
        {"email": "Nora@Aceros.co", "is_facilitator": "on", "is_manager": "on"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/organizacion/personas/"
    assert "Enviamos la invitación a nora@aceros.co." in response.text
    assert "/invitacion/" not in response.text  # a delivered mail: the link is not shown
    (mail,) = mailoutbox
    assert mail.to == ["nora@aceros.co"]
    (token,) = LINK.findall(mail.body)
    invitation = invitations.lookup(token).invitation
    assert invitation.organisation == organisation
    assert invitation.is_facilitator and invitation.is_manager


def test_with_the_console_mailer_the_inviter_sees_the_link_once(
    manager_client: Client, console_mail, mailoutbox, capsys
):
    response = manager_client.post(
        "/organizacion/invitaciones/", {"email": "nora@aceros.co", "is_facilitator": "on"}
    )
    assert response.status_code == 200
    assert "Puente no está configurado para enviar correos" in response.text
    (token,) = LINK.findall(response.text)
    assert invitations.lookup(token).problem is None
    assert mailoutbox == []
    # The log shows the mail went, not the link.
    printed = capsys.readouterr().out
    assert "nora@aceros.co" in printed and token not in printed
    # Only the hash is kept: the members page cannot show the link again.
    page = manager_client.get("/organizacion/personas/")
    assert "nora@aceros.co" in page.text and token not in page.text


def test_resend_shows_a_new_link_and_the_old_one_stops(
    manager_client: Client, manager, console_mail
):
    invitation, old_token = _invite(manager)
    response = manager_client.post(f"/organizacion/invitaciones/{invitation.pk}/reenviar/")
    (token,) = LINK.findall(response.text)
    assert token != old_token
    assert invitations.lookup(old_token).problem == invitations.Problem.INVALID
    assert invitations.lookup(token).invitation == invitation


def test_resend_emails_a_new_link(manager_client: Client, manager, mailoutbox):
    invitation, old_token = _invite(manager)
    response = manager_client.post(
        f"/organizacion/invitaciones/{invitation.pk}/reenviar/", follow=True
    )
    assert "Reenviamos la invitación a nora@aceros.co" in response.text
    (token,) = LINK.findall(mailoutbox[0].body)
    assert token != old_token and invitations.lookup(token).invitation == invitation


def test_a_failing_mail_server_shows_the_link_to_the_inviter(
    manager_client: Client, settings, caplog
):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.RefusingBackend"}}
    response = manager_client.post(
        "/organizacion/invitaciones/", {"email": "nora@aceros.co", "is_facilitator": "on"}
    )
    assert "No pudimos enviar el correo" in response.text
    (token,) = LINK.findall(response.text)
    assert invitations.lookup(token).problem is None


class RefusingBackend:
    def __init__(self, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("no mail server")


def test_revoke_from_the_members_page(manager_client: Client, manager):
    invitation, token = _invite(manager)
    response = manager_client.post(
        f"/organizacion/invitaciones/{invitation.pk}/anular/", follow=True
    )
    assert "Anulaste la invitación para nora@aceros.co" in response.text
    assert invitations.lookup(token).problem == invitations.Problem.REVOKED
    assert f'id="invitation-{invitation.pk}"' not in response.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "nora", "is_facilitator": "on"}, "Escribe un correo electrónico válido"),
        ({"email": "nora@aceros.co"}, "Elige al menos un rol"),
    ],
    ids=["bad-email", "no-role"],
)
def test_bad_input_re_renders_and_changes_nothing(manager_client: Client, data, message):
    response = manager_client.post("/organizacion/invitaciones/", data)
    assert response.status_code == 200
    assert message in response.text
    assert 'value="nora' in response.text  # what was typed stays
    assert not Invitation.objects.exists()


def test_inviting_a_member_is_refused_with_a_clear_message(
    manager_client: Client, facilitator, mailoutbox
):
    facilitator.user.email = "lili@aceros.co"
    facilitator.user.save(update_fields=["email"])
    response = manager_client.post(
        "/organizacion/invitaciones/", {"email": "Lili@aceros.co", "is_facilitator": "on"}
    )
    assert "lili@aceros.co ya pertenece a Aceros del Valle" in response.text
    assert not Invitation.objects.exists() and mailoutbox == []


def test_a_second_invitation_to_a_pending_address_says_resend(manager_client: Client, manager):
    _invite(manager)
    response = manager_client.post(
        "/organizacion/invitaciones/", {"email": "nora@aceros.co", "is_facilitator": "on"}
    )
    assert "ya tiene una invitación pendiente: reenvíala" in response.text
    assert Invitation.objects.count() == 1


def test_a_facilitator_has_a_page_of_their_own(facilitator_client: Client, manager_client: Client):
    home = facilitator_client.get("/")
    assert "Invitar a un/a facilitador/a" in home.text
    assert "Invitar a un/a facilitador/a" not in manager_client.get("/").text
    page = facilitator_client.get("/organizacion/invitaciones/")
    assert page.status_code == 200
    assert 'name="is_manager"' not in page.text
    assert "Solo una persona gerente puede invitar a otras personas gerentes." in page.text
    # Managers are sent to the members page, where the same form is.
    response = manager_client.get("/organizacion/invitaciones/")
    assert response["Location"] == "/organizacion/personas/#invitations"


def test_a_facilitator_invites_a_facilitator(facilitator_client: Client, facilitator, mailoutbox):
    response = facilitator_client.post(
        "/organizacion/invitaciones/",
        {"email": "nora@aceros.co", "is_facilitator": "on"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/organizacion/invitaciones/"
    assert "Enviamos la invitación a nora@aceros.co." in response.text
    invitation = Invitation.objects.get()
    assert invitation.invited_by == facilitator.user and not invitation.is_manager
    assert len(mailoutbox) == 1


def test_a_facilitator_cannot_invite_a_manager(facilitator_client: Client, mailoutbox):
    response = facilitator_client.post(
        "/organizacion/invitaciones/",
        {"email": "nora@aceros.co", "is_facilitator": "on", "is_manager": "on"},
    )
    assert response.status_code == 200
    assert "Solo una persona gerente puede invitar a otras personas gerentes." in response.text
    assert not Invitation.objects.exists() and mailoutbox == []


def test_a_facilitator_manages_only_the_invitations_they_sent(
    facilitator_client: Client, facilitator, manager
):
    mine, _t = _invite(facilitator, email="a@aceros.co")
    theirs, token = _invite(manager, email="b@aceros.co")
    page = facilitator_client.get("/organizacion/invitaciones/")
    assert "a@aceros.co" in page.text and "b@aceros.co" not in page.text
    for action in ("reenviar", "anular"):
        url = f"/organizacion/invitaciones/{theirs.pk}/{action}/"
        assert facilitator_client.post(url).status_code == 404
    assert invitations.lookup(token).invitation == theirs
    response = facilitator_client.post(f"/organizacion/invitaciones/{mine.pk}/anular/")
    assert response["Location"] == "/organizacion/invitaciones/"


def test_another_organisations_invitation_is_404(manager_client: Client, outsider):
    invitation, token = _invite(outsider, email="otra@textiles.mx")
    for action in ("reenviar", "anular"):
        url = f"/organizacion/invitaciones/{invitation.pk}/{action}/"
        assert manager_client.post(url).status_code == 404
    assert invitations.lookup(token).invitation == invitation


def test_strangers_are_sent_to_log_in(client: Client, manager):
    invitation, _t = _invite(manager)
    assert client.get("/organizacion/invitaciones/")["Location"].startswith("/entrar/")
    response = client.post(f"/organizacion/invitaciones/{invitation.pk}/anular/")
    assert response["Location"].startswith("/entrar/")
    assert Invitation.objects.get().revoked_at is None


# The link's page: a new account


def test_the_link_shows_the_organisation_role_and_the_account_form(client: Client, manager):
    _invitation, token = _invite(manager, is_manager=True)
    page = client.get(f"/invitacion/{token}/")
    assert page.status_code == 200
    assert "Te invitaron a Aceros del Valle" in page.text
    assert "facilitador/a y gerente" in page.text
    assert "Crea tu cuenta" in page.text and 'name="password_confirm"' in page.text


def test_accepting_creates_the_account_and_logs_in(client: Client, manager, organisation):
    _invitation, token = _invite(manager)
    response = client.post(
        f"/invitacion/{token}/",
        {
            "first_name": "Nora",
            "last_name": "Peña",
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/"
    assert "Hola, Nora" in response.text
    assert "Te damos la bienvenida a Aceros del Valle" in response.text
    assert client.session[ACTIVE_ORGANISATION_KEY] == organisation.pk
    user = get_user_model().objects.get(username="nora@aceros.co")
    assert Membership.objects.get(user=user).is_facilitator
    # The link is spent.
    again = client.get(f"/invitacion/{token}/")
    assert again.status_code == 410 and "Esta invitación ya se usó" in again.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"first_name": "Nora", "password": NEW_PASSWORD, "password_confirm": "otra-cosa"},
            "Las dos contraseñas no coinciden.",
        ),
        ({"first_name": "Nora", "password": "12345678", "password_confirm": "12345678"}, "común"),
        (
            {"first_name": "", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
            "Escribe tu nombre.",
        ),
    ],
    ids=["mismatch", "weak", "no-name"],
)
def test_a_bad_account_form_re_renders_and_changes_nothing(client: Client, manager, data, message):
    _invitation, token = _invite(manager)
    response = client.post(f"/invitacion/{token}/", data)
    assert response.status_code == 200
    assert message in response.text
    assert not get_user_model().objects.filter(username="nora@aceros.co").exists()
    assert invitations.lookup(token).problem is None
    assert "_auth_user_id" not in client.session


def test_failed_accepts_are_throttled_per_address(client: Client, manager, settings):
    settings.LOGIN_MAX_FAILURES = 2
    _invitation, token = _invite(manager)
    bad = {"first_name": "Nora", "password": "12345678", "password_confirm": "12345678"}
    for _ in range(2):
        client.post(f"/invitacion/{token}/", bad)
    good = bad | {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    response = client.post(f"/invitacion/{token}/", good)
    assert "Demasiados intentos fallidos" in response.text
    assert not get_user_model().objects.filter(username="nora@aceros.co").exists()
    # Forged links count too, from the same address.
    assert client.post("/invitacion/inventado/", good).status_code == 404


# The link's page: links that do not open


def test_a_forged_link_answers_404_the_same_for_any_token(client: Client, manager):
    _invite(manager)
    first = client.get("/invitacion/inventado-123/")
    second = client.get("/invitacion/" + "x" * 43 + "/")
    assert first.status_code == second.status_code == 404
    assert "Este enlace de invitación no es válido" in first.text
    assert _main(first.text) == _main(second.text)


@pytest.mark.parametrize(
    ("spoil", "heading"),
    [
        ("expire", "Esta invitación venció"),
        ("revoke", "Esta invitación fue anulada"),
        ("use", "Esta invitación ya se usó"),
    ],
)
def test_spent_links_answer_410_without_telling_whether_an_account_exists(
    client: Client, manager, outsider, spoil, heading
):
    outsider.user.email = "externo@textiles.mx"
    outsider.user.save(update_fields=["email"])
    pages = []
    for email, user in (("externo@textiles.mx", outsider.user), ("nadie@aceros.co", None)):
        invitation, token = _invite(manager, email=email)
        if spoil == "expire":
            Invitation.objects.filter(pk=invitation.pk).update(expires_at=invitation.sent_at)
        elif spoil == "revoke":
            invitations.revoke(invitation=invitation)
        elif user is not None:
            invitations.accept_existing(invitation=invitation, user=user)
        else:
            invitations.accept_new_account(
                invitation=invitation, first_name="Nadie", last_name="", password=NEW_PASSWORD
            )
        response = client.get(f"/invitacion/{token}/")
        assert response.status_code == 410
        assert heading in response.text
        assert email not in response.text
        pages.append(_main(response.text))
    assert pages[0] == pages[1]


def test_an_old_link_after_a_resend_is_not_valid(client: Client, manager):
    invitation, old_token = _invite(manager)
    invitations.resend(invitation=invitation, inviter=manager)
    response = client.get(f"/invitacion/{old_token}/")
    assert response.status_code == 404 and "correo más reciente" in response.text


# The link's page: an existing account


@pytest.fixture
def invited_outsider(manager, outsider):
    outsider.user.email = "externo@textiles.mx"
    outsider.user.save(update_fields=["email"])
    return _invite(manager, email="externo@textiles.mx")


def test_an_existing_account_is_asked_to_log_in_and_comes_back(client: Client, invited_outsider):
    _invitation, token = invited_outsider
    page = client.get(f"/invitacion/{token}/")
    assert page.status_code == 200
    assert "Ya tienes una cuenta en Puente" in page.text
    assert 'name="password_confirm"' not in page.text  # no new account for this address
    assert f"/entrar/?next=%2Finvitacion%2F{token}%2F" in page.text
    response = client.post(
        f"/entrar/?next=/invitacion/{token}/",
        {"username": "externo", "password": PASSWORD, "next": f"/invitacion/{token}/"},
    )
    assert response["Location"] == f"/invitacion/{token}/"
    assert "Aceptar la invitación" in client.get(f"/invitacion/{token}/").text


def test_the_right_account_confirms_and_works_in_the_new_organisation(
    outsider_client: Client, invited_outsider, outsider, organisation
):
    _invitation, token = invited_outsider
    response = outsider_client.post(f"/invitacion/{token}/", follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "Te damos la bienvenida a Aceros del Valle" in response.text
    assert outsider_client.session[ACTIVE_ORGANISATION_KEY] == organisation.pk
    assert Membership.objects.filter(user=outsider.user, is_active=True).count() == 2


def test_another_account_is_told_to_log_out_and_nothing_changes(
    facilitator_client: Client, invited_outsider, facilitator
):
    _invitation, token = invited_outsider
    page = facilitator_client.get(f"/invitacion/{token}/")
    assert "Entraste como lili, pero esta invitación es para otro correo" in page.text
    assert "Aceptar la invitación" not in page.text
    facilitator_client.post(f"/invitacion/{token}/")
    assert invitations.lookup(token).problem is None
    assert Membership.objects.filter(user=facilitator.user).count() == 1


def test_the_link_page_and_email_read_in_english(
    client: Client, manager_client: Client, mailoutbox
):
    manager_client.cookies["django_language"] = "en"
    manager_client.post(
        "/organizacion/invitaciones/", {"email": "nora@aceros.co", "is_facilitator": "on"}
    )
    (mail,) = mailoutbox
    assert mail.subject == "You are invited to Aceros del Valle on Puente"
    assert "Milena invites you to join Aceros del Valle on Puente as facilitator." in mail.body
    (token,) = LINK.findall(mail.body)
    client.cookies["django_language"] = "en"
    page = client.get(f"/invitacion/{token}/")
    assert "You are invited to Aceros del Valle" in page.text
    assert "Create my account and log in" in page.text


def test_an_existing_account_accepts_with_its_password_even_with_no_active_membership(
    client: Client, invited_outsider, outsider, organisation
):
    """A consultant let go by her only client can no longer log in; invited by another
    company, she accepts on the invitation page with her account's password."""
    _invitation, token = invited_outsider
    Membership.objects.filter(pk=outsider.pk).update(is_active=False)
    assert not Client().login(username="externo", password=PASSWORD)
    wrong = client.post(f"/invitacion/{token}/", {"password": "no-es-esta"})
    assert "Esa no es la contraseña de tu cuenta" in wrong.text
    assert Membership.objects.filter(user=outsider.user, is_active=True).count() == 0
    response = client.post(f"/invitacion/{token}/", {"password": PASSWORD}, follow=True)
    assert "Te damos la bienvenida a Aceros del Valle" in response.text
    assert client.session[ACTIVE_ORGANISATION_KEY] == organisation.pk
    assert Membership.objects.filter(
        user=outsider.user, organisation=organisation, is_active=True
    ).exists()
