"""Issued letters and their public verification (/verifikasi/<code>).

A letter is issued when it is first printed: the PDF is kept with its SHA-256 digest and an
unguessable code in the tracking-code alphabet, which the letter's QR carries. The public page
shows what an agency needs to tell a genuine letter from a forged or altered one (number, date,
office, service, agency, current status, digest) and nothing about the citizen.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from slrt.core import tracking
from slrt.extensions import db
from slrt.referrals.letter import letter_day, render_letter
from slrt.referrals.models import REFERRAL_STATUS_LABELS, IssuedLetter, Referral
from slrt.referrals.queries import office_of


def digest(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()


def issued_letter(referral: Referral) -> IssuedLetter | None:
    """The issued letter of the referral's current number, if printed already."""
    if not referral.letter_number:
        return None
    return db.session.scalar(sa.select(IssuedLetter).where(IssuedLetter.number == referral.letter_number))


def issue(referral: Referral) -> IssuedLetter:
    """The referral's current letter, issued (drawn and kept) on its first print. The kept copy
    is the one the agency receives: the reporter hidden only when the case is anonymous."""
    existing = issued_letter(referral)
    if existing is not None:
        return existing
    code = tracking.generate()
    pdf = render_letter(referral, hide_reporter=referral.case.anonymous, code=code)
    letter = IssuedLetter(
        referral_id=referral.id,
        number=referral.letter_number,
        code=code,
        agency_id=referral.agency_id,
        dated=letter_day(referral),
        hides_reporter=referral.case.anonymous,
        sha256=digest(pdf),
        pdf=pdf,
    )
    try:
        with db.session.begin_nested():
            db.session.add(letter)
    except sa.exc.IntegrityError:  # printed at the same moment by someone else: theirs stands
        existing = issued_letter(referral)
        if existing is None:
            raise
        return existing
    return letter


@dataclass
class Verification:
    """What the public page shows of a letter: no personal data."""

    number: str
    day: date | None
    office: str
    service: str
    agency: str
    status: str
    sha256: str
    current: bool  # False when the referral went on to another agency with a new letter


def verify(text: str) -> Verification | None:
    """The letter a typed or scanned code names, or None. A mistyped code raises
    tracking.InvalidCode before any query."""
    code = tracking.normalize(text)
    letter = db.session.scalar(sa.select(IssuedLetter).where(IssuedLetter.code == code))
    if letter is None:
        return None
    referral = letter.referral
    office = office_of(referral)
    return Verification(
        number=letter.number,
        day=letter.dated,
        office=office.name if office else "SLRT",
        service=referral.service.name,
        agency=letter.agency.name if letter.agency else "–",
        status=str(REFERRAL_STATUS_LABELS[referral.status]),
        sha256=letter.sha256,
        current=referral.letter_number == letter.number,
    )
