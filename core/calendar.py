"""Days in China: every "today" and every deadline is a day in Asia/Shanghai."""

import datetime as dt
import enum
import functools
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import holidays

from bangfu.core.i18n import _

CHINA = ZoneInfo("Asia/Shanghai")


def today() -> dt.date:
    """Today's date in Asia/Shanghai (not the server's zone, not UTC)."""
    return dt.datetime.now(CHINA).date()


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Completed years of age on ``day``."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


# -------------------------------------------------------------------------
# Working days: China's statutory holidays and make-up working days (调休)
# -------------------------------------------------------------------------
#
# Both come from the maintained ``holidays`` library (``holidays.China``): its holidays
# include the days off moved by the State Council's yearly notice, and its
# ``weekend_workdays`` are the Saturdays and Sundays that are working days instead. The
# library learns each year's notice in a release of its own (the notice appears in
# November): keep the dependency up to date. A year it does not know yet has the
# statutory holidays only (estimated), without make-up days.


class Holiday(enum.StrEnum):
    """The major holidays (重大节日) at which paired officials call on their persons."""

    NEW_YEAR = "NEW_YEAR"  # 元旦
    SPRING_FESTIVAL = "SPRING_FESTIVAL"  # 春节
    QINGMING = "QINGMING"  # 清明节
    LABOUR_DAY = "LABOUR_DAY"  # 劳动节
    DRAGON_BOAT = "DRAGON_BOAT"  # 端午节
    MID_AUTUMN = "MID_AUTUMN"  # 中秋节
    NATIONAL_DAY = "NATIONAL_DAY"  # 国庆节

    @property
    def slug(self) -> str:
        """``spring-festival``: the name on the command line and in event sources."""
        return self.value.lower().replace("_", "-")

    @classmethod
    def from_slug(cls, slug: str) -> "Holiday":
        return cls(slug.strip().upper().replace("-", "_"))


# The holiday's name in the library's zh_CN labels.
_HOLIDAY_NAMES = {
    Holiday.NEW_YEAR: "元旦",
    Holiday.SPRING_FESTIVAL: "春节",
    Holiday.QINGMING: "清明节",
    Holiday.LABOUR_DAY: "劳动节",
    Holiday.DRAGON_BOAT: "端午节",
    Holiday.MID_AUTUMN: "中秋节",
    Holiday.NATIONAL_DAY: "国庆节",
}


@functools.lru_cache(maxsize=32)
def _china(year: int) -> holidays.HolidayBase:
    # Make-up days of a year's first days are announced with the year before, and the
    # year after may move a day of this one: load the neighbours too.
    return holidays.country_holidays("CN", years=range(year - 1, year + 2), language="zh_CN")


def is_working_day(day: dt.date) -> bool:
    """Whether ``day`` is a working day in China: a weekday that is no statutory holiday
    (nor a day off moved onto it), or a weekend day made a working day (调休)."""
    return bool(_china(day.year).is_working_day(day))


def shift_days(day: dt.date, days: int, *, working: bool) -> dt.date:
    """``day`` moved by ``days`` calendar days, or by ``days`` working days.

    ``shift_days(d, 3, working=True)`` is the third working day after ``d``;
    a negative ``days`` counts back (the third working day before ``d``); 0 is ``d``.
    """
    if not working:
        return day + dt.timedelta(days=days)
    step = dt.timedelta(days=1 if days >= 0 else -1)
    remaining = abs(days)
    while remaining:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day


def holiday_date(holiday: Holiday, year: int) -> dt.date:
    """The first day of ``holiday`` in ``year`` (e.g. the lunar new year's day)."""
    days = [
        day
        for day in _china(year).get_named(_HOLIDAY_NAMES[holiday], lookup="icontains")
        if day.year == year
    ]
    if not days:
        raise LookupError(
            _("the calendar has no {holiday} in {year}", holiday=holiday.slug, year=year)
        )
    return min(days)


def holiday_days(holiday: Holiday, year: int) -> tuple[dt.date, dt.date]:
    """The first and last day of ``holiday`` in ``year`` in the library's calendar (the
    statutory days off, e.g. the eight days of the Spring Festival)."""
    days = [
        day
        for day in _china(year).get_named(_HOLIDAY_NAMES[holiday], lookup="icontains")
        if day.year == year
    ]
    if not days:
        raise LookupError(
            _("the calendar has no {holiday} in {year}", holiday=holiday.slug, year=year)
        )
    return min(days), max(days)


def holiday_around(
    day: dt.date, holidays: Iterable[Holiday], days_before: int
) -> tuple[Holiday, dt.date, dt.date] | None:
    """The holiday of ``holidays`` whose window holds ``day``, with the window: from
    ``days_before`` days before its first day to its last day (the visits before a
    festival count for it). None when ``day`` is in no window."""
    for holiday in holidays:
        for year in (day.year, day.year + 1):
            try:
                first, last = holiday_days(holiday, year)
            except LookupError:  # a year the calendar does not know
                continue
            start = first - dt.timedelta(days=days_before)
            if start <= day <= last:
                return holiday, start, last
    return None
