"""Dutch: dates 02-03-2026, amounts 1.234,56.

The first input format stays ISO: a ``DateInput(attrs={"type": "date"})`` without its own
``format`` renders its value in the first one, and a browser's date field only takes
YYYY-MM-DD. Dutch day-first input is accepted too.
"""

SHORT_DATE_FORMAT = "d-m-Y"
DATE_FORMAT = SHORT_DATE_FORMAT  # one date format per language, everywhere
SHORT_DATETIME_FORMAT = "d-m-Y H:i"
DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2026-03-02, what <input type="date"> sends and shows
    "%d-%m-%Y",  # 02-03-2026
    "%d-%m-%y",  # 02-03-26
    "%d/%m/%Y",  # 02/03/2026
    "%d.%m.%Y",  # 02.03.2026
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",  # what a DateTimeInput renders, as in English
    "%Y-%m-%d %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
DATETIME_FORMAT = SHORT_DATETIME_FORMAT
