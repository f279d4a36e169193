"""The night's data-quality count of the demo regency, as cron would run it (`flask quality
refresh`), so the dashboards show their "Kualitas data" table at once."""

from slrt.core.workdays import local_today
from slrt.intake import quality


def seed(ctx: dict) -> None:
    region = "32.04"
    ctx["quality_villages"] = quality.refresh(region, local_today(region))
