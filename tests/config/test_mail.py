"""The laptop's mailer (config.mail.ConsoleEmailBackend, the default without a mail server)
prints mail to the server log with its links hidden: an owner's link is private."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.mail import EmailMultiAlternatives

from agreements import services as agreement_services
from agreements.services import owner_link_url
from tests.agreements import conftest as agreement_fixtures

ready_workshop = agreement_fixtures.ready_workshop
live = agreement_fixtures.live
areas = agreement_fixtures.areas
people = agreement_fixtures.people
agreement = agreement_fixtures.agreement

ROOT = Path(__file__).resolve().parents[2]
LAPTOP_MAILER = "config.mail.ConsoleEmailBackend"


@pytest.fixture
def laptop_mailer(settings):
    settings.MAILERS = {"default": {"BACKEND": LAPTOP_MAILER}}


def test_the_default_mailer_logs_who_and_what_but_not_the_link(tmp_path):
    # As `make run` starts the laptop: no EMAIL_BACKEND in the environment.
    env = {k: v for k, v in os.environ.items() if k != "EMAIL_BACKEND"}
    env["PUENTE_VAR_DIR"] = str(tmp_path)
    sent = (
        "from django.core.mail import send_mail; "
        "send_mail('Tu acuerdo: Reunión diaria', "
        "'Actualiza el avance aquí:\\nhttp://192.168.1.20:8000/acuerdo/s3cr3t-t0ken_x/\\n', "
        "None, ['diego@example.com'])"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", sent],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "To: diego@example.com" in result.stdout
    assert "Actualiza el avance aquí:\nhttp://192.168.1.20:8000/[link hidden" in result.stdout
    assert "s3cr3t-t0ken_x" not in result.stdout + result.stderr
    assert "/acuerdo/" not in result.stdout


def test_an_owner_mailed_from_the_laptop_gets_a_card_and_the_log_no_link(
    laptop_mailer, agreement, capsys
):
    owner = agreement.owners.get(name="Diego Ruiz")
    agreement_services.owner_link_email(owner=owner, base_url="http://192.168.1.20:8000")
    printed = capsys.readouterr().out
    assert "To: diego@example.com" in printed and "Actualiza el avance" in printed
    assert owner.token not in printed and owner_link_url(owner) not in printed
    owner.refresh_from_db()
    # Printed is not delivered: the control room offers the owner a card instead.
    assert owner.emailed_at is None


def test_an_html_alternative_hides_its_links_too(laptop_mailer, capsys):
    message = EmailMultiAlternatives("Tu acuerdo", "Texto", None, ["diego@example.com"])
    message.attach_alternative(
        '<a href="https://puente.example.com/acuerdo/abc123/">x</a>', "text/html"
    )
    message.send()
    printed = capsys.readouterr().out
    assert '<a href="https://puente.example.com/[link hidden' in printed
    assert "abc123" not in printed
