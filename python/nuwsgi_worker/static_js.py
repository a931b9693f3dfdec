"""The functions of JavaScript that the master's static-file semantics lean on, for the worker
that mirrors them (static_http.py): String.prototype.trim, parseInt, Number, String of a whole
number, Date.prototype.toUTCString, and Date.parse for the dates a client may send. Each takes
what a latin-1 header can hold and gives what node gives for it.
"""

import math
import re
import time

# JavaScript's white space and line terminators, those that a latin-1 string can hold.
JS_SPACE = '\t\n\x0b\x0c\r \xa0'
WS = '[\t\n\x0b\x0c\r \xa0]'

_DAY_NAMES = ('Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat')
_MONTH_NAMES = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')
_MONTHS = {name.lower(): number for number, name in enumerate(_MONTH_NAMES, 1)}
_MONTHS.update((name, number) for number, name in enumerate((
    'january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october',
    'november', 'december'), 1))
# ECMAScript's time values: at most 8.64e15 ms either side of the epoch, else an invalid date.
_MAX_TIME = 8.64e15


def js_trim(text):
    """String.prototype.trim."""
    return text.strip(JS_SPACE)


_INT_PREFIX = re.compile('[+-]?[0-9]+').match


def js_parse_int(text):
    """parseInt(text, 10): the integer that begins `text` after white space; None for NaN."""
    m = _INT_PREFIX(text.lstrip(JS_SPACE))
    return None if m is None else int(m.group())


_DECIMAL = re.compile('[+-]?(?:Infinity|(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\\Z').match
_RADIX = re.compile('0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)\\Z').match


def js_number(text):
    """Number(text) for a string: a float, NaN when it is not a number."""
    s = js_trim(text)
    if not s:
        return 0.0
    if _DECIMAL(s):
        return float(s.replace('Infinity', 'inf'))
    if _RADIX(s):
        try:
            return float(int(s[2:], {'x': 16, 'o': 8, 'b': 2}[s[1].lower()]))
        except OverflowError:
            return math.inf
    return math.nan


def js_integer_string(value):
    """String(value) for a whole number at or above 0, as JavaScript writes it: the shortest digits
    that read back as the same double, padded with zeros, and from 1e21 on in exponent form."""
    if value < 2 ** 53:
        return '%d' % value
    text = repr(float(value))
    if value >= 1e21:
        return text
    if 'e' not in text:
        return '%d' % value
    mantissa, exponent = text.split('e')
    digits = mantissa.replace('.', '')
    return digits + '0' * (int(exponent) + 1 - len(digits))


def _civil_from_days(days):
    """(year, month, day) of a day counted from 1970-01-01, proleptic Gregorian."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day


def _days_from_civil(year, month, day):
    """The day from 1970-01-01 of a date; a day past the month's end runs into the next, as in
    ECMAScript's MakeDay."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def js_utc_string(ms):
    """new Date(ms).toUTCString(): `Wed, 21 Oct 2015 07:28:00 GMT` (HTTP's IMF-fixdate)."""
    if not abs(ms) <= _MAX_TIME:
        return 'Invalid Date'
    ms = int(ms)  # TimeClip: toward zero
    days, in_day = divmod(ms, 86_400_000)
    seconds = in_day // 1000
    year, month, day = _civil_from_days(days)
    return '%s, %02d %s %s %02d:%02d:%02d GMT' % (
        _DAY_NAMES[(days + 4) % 7], day, _MONTH_NAMES[month - 1], '%04d' % year if year >= 0 else '-%04d' % -year,
        seconds // 3600, seconds // 60 % 60, seconds % 60)


_WEEKDAY = '(?:sun|mon|tue|wed|thu|fri|sat)[a-z]*(?:%s*,%s*|%s+)' % (WS, WS, WS)
_MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|january|february|march|april|june|july|august' \
         '|september|october|november|december)'
_ZONE = '(?:%s*(z)|%s+(gmt|utc|ut))?(?:%s*([+-])([0-9]{4}))?' % (WS, WS, WS)
# IMF-fixdate and RFC 850: [weekday,] DD Mon YYYY HH:MM[:SS] [zone], '-' allowed between the date's parts
_DMY = re.compile('%s*(?:%s)?([0-9]{1,2})(?:%s+|-)%s(?:%s+|-)([0-9]{2}|[0-9]{4})%s+([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?%s%s*\\Z'
                  % (WS, _WEEKDAY, WS, _MONTH, WS, WS, _ZONE, WS), re.IGNORECASE).match
# asctime: [weekday] Mon D HH:MM:SS YYYY [zone]
_ASCTIME = re.compile('%s*(?:%s)?%s%s+([0-9]{1,2})%s+([0-9]{1,2}):([0-9]{2}):([0-9]{2})%s+([0-9]{4})%s%s*\\Z'
                      % (WS, _WEEKDAY, _MONTH, WS, WS, WS, _ZONE, WS), re.IGNORECASE).match


# ECMAScript's date-time string format: [+-YY]YYYY[-MM[-DD]][THH:mm[:ss[.sss]][Z|+hh:mm|+hhmm]]
_ISO = re.compile('([+-][0-9]{6}|[0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?'
                  '(?:[tT]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\\.([0-9]{1,9}))?)?([zZ]|[+-][0-9]{2}:?[0-9]{2})?)?\\Z').match


def _iso_time(parts):
    year, month, day, hour, minute, second, fraction, zone = parts
    if year == '-000000':
        return None
    year, month, day = int(year), int(month or 1), int(day or 1)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    if hour is None:
        # a date alone is UTC
        return _days_from_civil(year, month, day) * 86_400_000
    hour, minute, second = int(hour), int(minute), int(second or 0)
    ms = int((fraction + '00')[:3]) if fraction else 0
    if minute > 59 or second > 59 or hour > 24 or (hour == 24 and (minute or second or ms)):
        return None
    if zone is None:
        # a date and time without a zone is local time
        try:
            return int(time.mktime((year, month, day, hour, minute, second, 0, 0, -1))) * 1000 + ms
        except (OverflowError, ValueError):
            return None
    result = (((_days_from_civil(year, month, day) * 24 + hour) * 60 + minute) * 60 + second) * 1000 + ms
    if zone not in ('z', 'Z'):
        hours, minutes = int(zone[1:3]), int(zone[-2:])
        if hours > 23 or minutes > 59:
            return None
        result -= (1 if zone[0] == '+' else -1) * (hours * 60 + minutes) * 60_000
    return result if abs(result) <= _MAX_TIME else None


def parse_http_date(text):
    """Date.parse(text) for the dates a client may send: ms since the epoch, None for NaN.

    It takes RFC 9110's three forms (IMF-fixdate, RFC 850, asctime) as V8 reads them: names in any
    case, the weekday optional and not checked, two-digit years as 1950-2049, a day past the end
    of its month running into the next, GMT, UTC, UT, Z or +hhmm, and local time without a zone;
    and ECMAScript's own date-time string (2015-10-21T07:28:00Z). V8 takes more (words it ignores,
    AM/PM, one-digit minutes, other zone names, numbers alone); those are None here, so the request
    is answered as if it had no such condition: the whole file.
    """
    m = _ISO(text)
    if m is not None:
        return _iso_time(m.groups())
    m = _DMY(text)
    if m is not None:
        day, month, year, hour, minute, second, z, zone, sign, offset = m.groups()
    else:
        m = _ASCTIME(text)
        if m is None:
            return None
        month, day, hour, minute, second, year, z, zone, sign, offset = m.groups()
    day, year, hour, minute = int(day), int(year), int(hour), int(minute)
    second = int(second or 0)
    if not (1 <= day <= 31 and hour <= 23 and minute <= 59 and second <= 59):
        return None
    if year <= 49:
        year += 2000
    elif year <= 99:
        year += 1900
    month = _MONTHS[month.lower()]
    if z is None and zone is None and sign is None:
        try:
            # no zone: local time, as V8 has it
            return int(time.mktime((year, month, day, hour, minute, second, 0, 0, -1))) * 1000
        except (OverflowError, ValueError):
            return None
    ms = ((_days_from_civil(year, month, day) * 24 + hour) * 60 + minute) * 60_000 + second * 1000
    if sign is not None:
        hours, minutes = divmod(int(offset), 100)
        ms -= (1 if sign == '+' else -1) * (hours * 60 + minutes) * 60_000
    return ms if abs(ms) <= _MAX_TIME else None
