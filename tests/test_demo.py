"""`flask demo seed` gives a newcomer a living demo at once, and running it again changes nothing."""

from datetime import UTC

import sqlalchemy as sa

from slrt.accounts.models import User
from slrt.extensions import db
from slrt.intake.models import Case
from slrt.public.models import SurveyResponse
from slrt.referrals.models import Referral, ReferralBreach, ReferralStatus
from tests.conftest import csrf_from


def counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (User, Case, Referral, ReferralBreach, SurveyResponse)
    }


def test_demo_seed_shows_every_state_and_is_idempotent(runner, client):
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert "demo12345" in first.output and "desk" in first.output
    after_first = counts()
    statuses = set(db.session.scalars(sa.select(Referral.status).distinct()))
    assert statuses == set(ReferralStatus), f"missing: {set(ReferralStatus) - statuses}"
    assert after_first["referral_breaches"] > 0 and after_first["survey_responses"] > 0
    assert db.session.scalar(sa.select(sa.func.count()).where(Case.channel == "online")) > 0

    # Each referral charts in the month its letter is numbered in (…/XI/2026 in November).
    from slrt.core.workdays import JAKARTA
    from slrt.referrals.transitions import ROMAN

    for number, created in db.session.execute(
        sa.select(Referral.letter_number, Referral.created_at).where(Referral.letter_number.is_not(None))
    ):
        made = created.replace(tzinfo=created.tzinfo or UTC).astimezone(JAKARTA)
        assert number.split("/")[-2] == ROMAN[made.month - 1], (number, made)

    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0, second.output
    assert counts() == after_first

    for username in ("desk", "koordinator", "slrt", "dinsos", "admin"):
        page = client.get("/login").get_data(as_text=True)
        response = client.post(
            "/login", data={"username": username, "password": "demo12345", "csrf_token": csrf_from(page)}
        )
        assert response.status_code == 302, username
        assert client.get("/").status_code == 200
        client.post("/logout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})


def test_demo_seed_shows_letterheads_signers_and_verifiable_letters(runner, client):
    from slrt.directory.models import Office
    from slrt.referrals.models import IssuedLetter
    from tests.letter_factories import pdf_text

    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "/verifikasi/<code>" in result.output
    office = db.session.scalar(sa.select(Office).where(Office.code == "PKS-3204052001"))
    assert office.logo_type == "image/png" and office.head_title == "Kepala Desa Cileunyi Kulon"
    letter = db.session.scalars(sa.select(IssuedLetter).order_by(IssuedLetter.id)).first()
    assert letter is not None
    text = pdf_text(letter.pdf)
    assert "PEMERINTAH KABUPATEN BANDUNG" in text and "Tembusan:" in text
    assert client.get(f"/verifikasi/{letter.code}").status_code == 200
    issued = db.session.scalar(sa.select(sa.func.count()).select_from(IssuedLetter))
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IssuedLetter)) == issued
