"""Checks on the status and headers an app passes to start_response, and the head fields built from
them: a RESPONSE_HEAD payload once joined by NUL (docs/channel.md, "The head block"), or the lines
of a uwsgi response.

Values may hold any latin-1 character except control characters other than HTAB: the set HTTP
allows (RFC 9110 field-vchar and obs-text), which is also what Node's http module accepts.
"""

import re

_is_status = re.compile('[1-9][0-9][0-9] [\t\x20-\x7e\x80-\xff]*\\Z').match
_is_token = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z").match
_find_bad_value_char = re.compile('[^\t\x20-\x7e\x80-\xff]').search
_is_digits = re.compile(r'[0-9]+\Z').match

# Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection, which the master owns.
HOP_BY_HOP = frozenset((
    'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization',
    'te', 'trailers', 'transfer-encoding', 'upgrade',
))

# What a header is, once checked.
_PASS = 0      # sent as it is
_DROP = 1      # hop-by-hop
_CLOSE = 2     # Connection: close
_LENGTH = 3    # Content-Length

# Headers already checked, with their kind: most responses of an app repeat the same headers, and
# a dict lookup is several times cheaper than the checks. Cleared when it gets big.
_checked = {}
_CHECKED_MAX = 1000


# Statuses already checked: an app sends few different ones.
_checked_statuses = set()


def check_status(status):
    if type(status) is str and status in _checked_statuses:
        return
    if not isinstance(status, str):
        raise TypeError("status must be a str like '200 OK', not %s" % type(status).__name__)
    if not _is_status(status):
        raise ValueError(
            "status must be a three-digit code from 100 to 999, a space and a reason phrase "
            "without control characters, like '200 OK'; got %r" % (status,))
    if type(status) is str:
        if len(_checked_statuses) >= _CHECKED_MAX:
            _checked_statuses.clear()
        _checked_statuses.add(status)


def head_fields(status, headers):
    """Validates the headers and returns ([status, name, value, name, value...], declared
    Content-Length or None).

    The status must already have passed check_status. Hop-by-hop headers are dropped, except that a
    Connection header asking to close is passed on as `Connection: close`.
    """
    if type(headers) is not list:
        raise TypeError('response headers must be a list of (name, value) tuples, not %s' % type(headers).__name__)
    parts = [status]
    content_length = None
    close = False
    checked = _checked
    for header in headers:
        kind = checked.get(header) if type(header) is tuple else None
        if kind is None:
            kind = _check_header(header)
        if kind == _PASS:
            parts += header
        elif kind == _LENGTH:
            if content_length is not None:
                raise ValueError('more than one Content-Length response header')
            content_length = int(header[1])
            parts += (header[0], str(content_length))
        elif kind == _CLOSE:
            close = True
    if close:
        parts += ('Connection', 'close')
    return parts, content_length


def _check_header(header):
    """Raises TypeError or ValueError for a header that cannot be sent; else returns its kind."""
    if not (isinstance(header, tuple) and len(header) == 2):
        raise TypeError('each response header must be a (name, value) tuple, not %r' % (header,))
    name, value = header
    if not (isinstance(name, str) and isinstance(value, str)):
        raise TypeError('response header name and value must both be str: %r' % (header,))
    if not _is_token(name):
        raise ValueError('response header name %r is not a valid HTTP token' % (name,))
    if _find_bad_value_char(value):
        raise ValueError(
            'the value of response header %s holds a character HTTP does not allow '
            '(a control character such as CR, LF or NUL, or one outside latin-1): %r' % (name, value))
    lower = name.lower()
    if lower in HOP_BY_HOP:
        close = lower == 'connection' and 'close' in (token.strip().lower() for token in value.split(','))
        kind = _CLOSE if close else _DROP
    elif lower == 'content-length':
        if not _is_digits(value.strip()):
            raise ValueError('response header Content-Length must be a non-negative integer, not %r' % (value,))
        kind = _LENGTH
    else:
        kind = _PASS
    if type(header) is tuple and type(name) is str and type(value) is str:
        if len(_checked) >= _CHECKED_MAX:
            _checked.clear()
        _checked[header] = kind
    return kind
