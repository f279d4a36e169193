"""Demo DTSEN review and proposals (issue 18 items 5-6): two persons without a NIK named "Ujang
Sutisna" (one in the old spelling), born the same day, and a DTSEN row for that name: the row
waits on the coordinator's "Konflik impor DTSEN" page with both sides. The demo's cases with a
DTSEN need are listed on "Usulan DTSEN" (`flask dtsen proposals --region 32.04`). Idempotent."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from slrt.dtsen.matching import import_batch
from slrt.dtsen.models import DtsenConflict
from slrt.dtsen.rows import DtsenRow
from slrt.extensions import db
from slrt.intake import models as m

VILLAGE = "32.04.05.2001"
BORN = date(1975, 3, 12)
NIK = "3204051203750031"
KK = "3204050303200031"


def seed(ctx: dict) -> None:
    if db.session.scalar(sa.select(DtsenConflict.id).limit(1)) is not None:
        return
    for name, rt in (("Ujang Sutisna", "001"), ("Oedjang Soetisna", "004")):
        household = m.Household(village_code=VILLAGE, rt=rt, rw="002")
        db.session.add(
            m.Person(
                name=name,
                birth_date=BORN,
                sex=m.Sex.MALE,
                household=household,
                village_code=VILLAGE,
                relationship_to_head=m.Relationship.HEAD,
            )
        )
    db.session.flush()
    row = DtsenRow(2, NIK, KK, "Ujang Sutisna", BORN, m.Sex.MALE, VILLAGE, 2, ["PKH"], first_of_kk=True)
    import_batch([row])
