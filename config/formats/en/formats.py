"""English as used in Kazakhstan: day before month (``01.12.2026``, ``1 December 2026``), never
the US month-first order; ISO dates (``2026-12-01``) are accepted everywhere as well."""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday

# Django adds the ISO formats (2026-12-01, what <input type="date"> sends) to these.
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%d.%m.%y", "%d %B %Y", "%d %b %Y"]
DATETIME_INPUT_FORMATS = ["%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y"]
TIME_INPUT_FORMATS = ["%H:%M:%S", "%H:%M"]

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
