"""Working days in Indonesia: weekends, national holidays, cuti bersama, local holidays."""

from datetime import date

from slrt.core.workdays import (
    LocalHoliday,
    WorkCalendar,
    add_working_days,
    national_holiday_names,
    working_days_between,
)
from slrt.extensions import db


def test_the_holidays_package_includes_cuti_bersama_for_2026():
    names = national_holiday_names(2026)
    assert "Cuti Bersama" in names[date(2026, 3, 23)]  # Idul Fitri joint leave
    assert "Cuti Bersama" in names[date(2026, 12, 24)]  # Christmas joint leave


def test_counting_across_idul_fitri_2026_skips_nyepi_lebaran_and_cuti_bersama():
    cal = WorkCalendar()
    # Tue 17 March; 18-19 Nyepi, 20 and 23-24 cuti bersama, 21-22 Lebaran on the weekend.
    assert cal.add(date(2026, 3, 17), 1) == date(2026, 3, 25)
    assert cal.add(date(2026, 3, 16), 3) == date(2026, 3, 26)
    assert cal.between(date(2026, 3, 17), date(2026, 3, 25)) == 1
    assert not any(cal.is_working_day(date(2026, 3, d)) for d in (18, 19, 20, 21, 22, 23, 24))


def test_counting_across_the_year_end_skips_christmas_cuti_bersama_and_new_year():
    cal = WorkCalendar()
    assert cal.add(date(2026, 12, 23), 1) == date(2026, 12, 28)
    assert cal.add(date(2026, 12, 23), 5) == date(2027, 1, 4)
    assert cal.between(date(2026, 12, 23), date(2027, 1, 4)) == 5
    assert cal.between(date(2027, 1, 4), date(2026, 12, 23)) == -5
    assert cal.add(date(2026, 12, 25), 0) == date(2026, 12, 25)


def test_a_local_holiday_counts_only_in_its_region(app, world):
    db.session.add(LocalHoliday(day=date(2026, 12, 28), name="Hari Jadi Kab. Bandung", region_code="32.04"))
    db.session.flush()
    assert add_working_days(date(2026, 12, 23), 1, "32.04.05.2001") == date(2026, 12, 29)
    assert add_working_days(date(2026, 12, 23), 1, "32.73.01.1001") == date(2026, 12, 28)
    assert working_days_between(date(2026, 12, 23), date(2026, 12, 29), "32.04.05.2001") == 1
