"""Imports every model module, so SQLAlchemy's metadata and Alembic see the whole schema."""

from slrt.accounts.models import ApiToken, User  # noqa: F401
from slrt.core.audit import AuditEvent  # noqa: F401
from slrt.core.workdays import LocalHoliday  # noqa: F401
from slrt.directory.models import Agency, NeedCategory, Office, Service  # noqa: F401
from slrt.dtsen.models import DtsenConflict  # noqa: F401
from slrt.intake.models import (  # noqa: F401
    Attachment,
    Case,
    DtsenCheck,
    Household,
    HouseholdMove,
    KkChange,
    Need,
    Person,
    RecordChange,
)
from slrt.notifications.models import Notification  # noqa: F401
from slrt.privacy.models import ConsentRecord, ErasureRequest  # noqa: F401
from slrt.public.models import SurveyResponse  # noqa: F401
from slrt.queue.models import QueueTicket  # noqa: F401
from slrt.referrals.models import LetterCounter, Referral, ReferralBreach, ReferralEvent  # noqa: F401
from slrt.referrals.reminders import ReferralReminder  # noqa: F401
from slrt.regions.models import Region  # noqa: F401
from slrt.reports.models import ReportTally, ReportVillage  # noqa: F401
