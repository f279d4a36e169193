"""Demo duplicates (issue 18): Enok Sumarni, registered at the desk today, was also entered years
ago from an old KK as "Hj. Enok Soemarny". The pair waits on the coordinator's duplicates page
(login `koordinator`), and a search for "Enok Sumarny" finds her. Idempotent."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from slrt.extensions import db
from slrt.intake import models as m

VILLAGE = "32.04.05.2001"
OLD_SPELLING = "Hj. Enok Soemarny"


def seed(ctx: dict) -> None:
    if db.session.scalar(sa.select(m.Person.id).where(m.Person.name == OLD_SPELLING)) is not None:
        return
    household = m.Household(village_code=VILLAGE, rt="002", rw="005", street="Kp. Babakan")
    db.session.add(
        m.Person(
            name=OLD_SPELLING,
            birth_date=date(1949, 8, 17),
            sex=m.Sex.FEMALE,
            household=household,
            village_code=VILLAGE,
            relationship_to_head=m.Relationship.HEAD,
        )
    )
    db.session.flush()
