"""Test data and helpers for the public pages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from slrt.core import tracking
from slrt.extensions import db
from slrt.intake import models as m
from slrt.referrals.models import ReferralEvent, ReferralStatus
from tests import factories

# Recognisable personal data: none of it may ever appear on a public page or JSON answer.
SECRET_NAME = "Zulaikha Wiryawangsa"
SECRET_NIK = "3204055708800007"
SECRET_KK = "3204059988776655"
SECRET_PHONE = "+6281299887766"
SECRET_STREET = "Jalan Melati Ungu No. 77"
SECRET_NOTE = "Catatan internal: tetangga bilang suaminya berutang"
SECRET_OFFICER = "Petugas Rahasiawan"
SECRET_SUMMARY = "Ringkasan internal kasus Zulaikha"
SECRETS = (
    SECRET_NAME,
    SECRET_NIK,
    SECRET_KK,
    SECRET_PHONE,
    "81299887766",
    SECRET_STREET,
    SECRET_NOTE,
    SECRET_OFFICER,
    SECRET_SUMMARY,
)
PUBLIC_MESSAGE = "Berkas lengkap, bantuan BPNT akan cair bulan depan."

FORM_TOKEN_RE = re.compile(r'name="form_token" type="hidden" value="([^"]+)"')
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def make_secret_case(world: factories.World, **kwargs) -> m.Case:
    """A case full of recognisable personal data, with a referral, events and a public message."""
    household = m.Household(
        village_code=factories.VILLAGE_A, kk_number=SECRET_KK, street=SECRET_STREET, rt="003", rw="007"
    )
    person = factories.make_person(name=SECRET_NAME, nik=SECRET_NIK, phone=SECRET_PHONE, household=household)
    case = factories.make_case(
        factories.VILLAGE_A, world.office_a, reporter=person, summary=SECRET_SUMMARY, **kwargs
    )
    referral = factories.make_referral(case, agency=world.agency, status=ReferralStatus.IN_PROGRESS)
    referral.respond_due = date(2026, 12, 1)
    referral.resolve_due = date(2026, 12, 24)
    officer = factories.make_user("petugas.rahasia", "desk", office_code="PKS-A")
    officer.name = SECRET_OFFICER
    start = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    for i, (status, note, message) in enumerate(
        [
            (ReferralStatus.SENT, SECRET_NOTE, None),
            (ReferralStatus.ACCEPTED, SECRET_NOTE, None),
            (ReferralStatus.IN_PROGRESS, SECRET_NOTE, PUBLIC_MESSAGE),
        ]
    ):
        db.session.add(
            ReferralEvent(
                referral=referral,
                to_status=status,
                actor=officer,
                at=start + timedelta(days=i),
                note=note,
                public_message=message,
            )
        )
    db.session.commit()
    return case


def issue_letter(referral):
    """The referral's letter, numbered and printed as the desk would (slrt.referrals.verification)."""
    from slrt.referrals.verification import issue

    referral.letter_number = f"{referral.id:03d}/PKS-A/XI/2026"
    referral.sent_at = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    letter = issue(referral)
    db.session.commit()
    return letter


def close_case(case: m.Case) -> None:
    case.status = m.CaseStatus.CLOSED
    case.closed_at = datetime.now(UTC)
    for referral in case.referrals:
        referral.status = ReferralStatus.RESOLVED
        referral.closed_at = datetime.now(UTC)
        db.session.add(
            ReferralEvent(
                referral=referral,
                to_status=ReferralStatus.RESOLVED,
                public_message="Bantuan sudah diterima keluarga.",
                note=SECRET_NOTE,
            )
        )
    db.session.commit()


def unknown_code() -> str:
    return tracking.generate()


def wrong_check(code: str) -> str:
    """The same code with another check symbol: a typo the check symbol must catch."""
    other = next(c for c in tracking.ALPHABET if c != code[-1])
    return code[:-1] + other


def report_form(client, **fields) -> dict:
    """The report form's fields as a browser would send them, after opening the page."""
    html = client.get("/lapor").get_data(as_text=True)
    data = {
        "csrf_token": CSRF_RE.search(html).group(1),
        "form_token": FORM_TOKEN_RE.search(html).group(1),
        "case_type": "need",
        "category": "pangan",
        "description": "Beras habis sejak seminggu, anak tiga orang.",
        "village_code": factories.VILLAGE_A,
        "website": "",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}
