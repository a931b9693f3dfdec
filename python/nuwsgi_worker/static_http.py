"""The HTTP semantics of a static file served on a uwsgi socket, decided as the master decides them
for its HTTP listeners (src/router/static/respond.ts, and the encoding choice of files.ts).

The master takes them from npm packages a stdlib-only worker cannot use, so this module mirrors
them step for step, edge cases included: `fresh` 2.0.0 (If-None-Match, If-Modified-Since, and
Cache-Control: no-cache, for 304), `range-parser` 1.2.1 with `combine` (Range: 206, 416, or the
whole file), `etag` 1.8.1 (the weak tag of a stat), and respond.ts's own If-Match and
If-Unmodified-Since (412) and If-Range. Those lean on JavaScript's trim, parseInt, Number,
Date.parse and toUTCString, which static_js.py has (Date.parse for the forms a client may send:
see parse_http_date there).

Pure: functions of the request's CGI headers and the file's metadata; static_files.py sends what
they decide.
"""

import math
import re

from .static_js import WS, js_integer_string, js_number, js_parse_int, js_trim, js_utc_string, parse_http_date


class FileMeta:
    """What the response depends on, of the file chosen (a precompressed sibling when one is sent)."""
    __slots__ = ('size', 'mtime_ms', 'etag', 'last_modified', 'content_type', 'encoding', 'varies', 'expires')

    def __init__(self, stat, content_type, encoding=None, varies=False, expires=None):
        self.size = stat.st_size
        # as node's fs.Stats: mtimeMs a float, mtime a Date of it rounded to the ms
        seconds, nanoseconds = divmod(stat.st_mtime_ns, 1_000_000_000)
        self.mtime_ms = seconds * 1e3 + nanoseconds / 1e6
        mtime = math.floor(self.mtime_ms + 0.5)
        # the etag package's tag of a stat: W/"<size hex>-<mtime ms hex>"
        self.etag = 'W/"%x-%x"' % (self.size, mtime)
        self.last_modified = js_utc_string(mtime)
        self.content_type = content_type
        # 'br' or 'gzip' when a precompressed sibling is sent
        self.encoding = encoding
        # the representation depends on Accept-Encoding (precompression applies to the file)
        self.varies = varies
        # (seconds, from_mtime) of the expiry rule that matched, or None
        self.expires = expires


def respond_with_file(method, environ, file, now_ms):
    """respond.ts's respondWithFile: (status, [name, value, ...], start, length) with status 200,
    206, 304, 412 or 416; Content-Length is in the head where a body (or HEAD's length) goes with
    it, and `length` bytes of the file from `start` are the body (none for HEAD, 304, 412, 416)."""
    head = ['Content-Type', file.content_type, 'Last-Modified', file.last_modified, 'ETag', file.etag,
            'Accept-Ranges', 'bytes']
    if file.encoding is not None:
        head += ('Content-Encoding', file.encoding)
    if file.varies:
        head += ('Vary', 'Accept-Encoding')
    if file.expires is not None:
        _push_expires(head, file, now_ms)

    get = environ.get
    if_match = get('HTTP_IF_MATCH')
    unmodified_since = get('HTTP_IF_UNMODIFIED_SINCE')
    none_match = get('HTTP_IF_NONE_MATCH')
    modified_since = get('HTTP_IF_MODIFIED_SINCE')
    if if_match is not None or unmodified_since is not None or none_match is not None or modified_since is not None:
        if _precondition_fails(if_match, unmodified_since, file):
            return 412, head, 0, 0
        if fresh(none_match, modified_since, get('HTTP_CACHE_CONTROL'), file.etag, file.last_modified):
            return 304, head, 0, 0

    status = 200
    start = 0
    length = file.size
    range_ = get('HTTP_RANGE')
    if range_ is not None and _BYTES_RANGE(range_):
        ranges = parse_range(file.size, range_)
        if not _range_is_fresh(get('HTTP_IF_RANGE'), file):
            ranges = -2
        if ranges == -1:
            head += ('Content-Range', 'bytes */%d' % file.size)
            return 416, head, 0, 0
        # a malformed Range, or several ranges (no multipart responses), get the whole file, as with send
        if ranges != -2 and len(ranges) == 1:
            status = 206
            start, end = ranges[0]
            length = end - start + 1
            head += ('Content-Range', 'bytes %d-%d/%d' % (start, end, file.size))
    head += ('Content-Length', str(length))
    return status, head, start, 0 if method == 'HEAD' else length


_BYTES_RANGE = re.compile(' *bytes=').match


def _push_expires(head, file, now_ms):
    """Expires (uWSGI's header), and the Cache-Control max-age nginx's `expires` adds with it."""
    seconds, from_mtime = file.expires
    at = (file.mtime_ms if from_mtime else float(now_ms)) + seconds * 1000.0
    head += ('Expires', js_utc_string(at),
             'Cache-Control', 'max-age=%s' % js_integer_string(max(0.0, math.floor((at - now_ms) / 1000))))


def _precondition_fails(if_match, unmodified_since, file):
    """If-Match names no current tag, or the file changed after If-Unmodified-Since."""
    if if_match is not None:
        if js_trim(if_match) == '*':
            return False
        etag = file.etag
        bare = etag[2:] if etag.startswith('W/') else etag
        for tag in if_match.split(','):
            tag = js_trim(tag)
            if tag == etag or tag == bare or tag == 'W/' + bare:
                return False
        return True
    if unmodified_since is not None:
        date = parse_http_date(unmodified_since)
        if date is not None:
            return math.floor(file.mtime_ms / 1000) * 1000 > date
    return False


def _range_is_fresh(if_range, file):
    """If-Range: the range applies only to the representation it names, by tag or by date."""
    if if_range is None:
        return True
    if '"' in if_range:
        return file.etag in if_range
    return _not_after(file.last_modified, if_range)


def _not_after(a, b):
    """Date.parse(a) <= Date.parse(b) (false when either is NaN)."""
    a = parse_http_date(a)
    if a is None:
        return False
    b = parse_http_date(b)
    return b is not None and a <= b


# fresh's /(?:^|,)\s*?no-cache\s*?(?:,|$)/
_NO_CACHE = re.compile('(?:^|,)%s*?no-cache%s*?(?:,|\\Z)' % (WS, WS)).search


def fresh(none_match, modified_since, cache_control, etag, last_modified):
    """fresh(requestHeaders, {etag, 'last-modified'}): whether the client's copy is current (304).
    Empty headers count as absent, as in JavaScript."""
    if not modified_since and not none_match:
        return False
    if cache_control and _NO_CACHE(cache_control):
        return False
    if none_match:
        if none_match == '*':
            return True
        for match in _token_list(none_match):
            if match == etag or match == 'W/' + etag or 'W/' + match == etag:
                return True
        return False
    return _not_after(last_modified, modified_since)


def _token_list(text):
    """fresh's parseTokenList: split at commas, spaces (only) around each token dropped."""
    tokens = []
    start = end = 0
    for i, ch in enumerate(text):
        if ch == ' ':
            if start == end:
                start = end = i + 1
        elif ch == ',':
            tokens.append(text[start:end])
            start = end = i + 1
        else:
            end = i + 1
    tokens.append(text[start:end])
    return tokens


def parse_range(size, text):
    """range-parser's rangeParser(size, text, {combine: true}): -2 when malformed (no '='), -1
    when no range is satisfiable, else the [(start, end), ...] ranges, overlapping and adjacent
    ones combined, in the order they were asked for."""
    index = text.find('=')
    if index == -1:
        return -2
    ranges = []
    for part in text[index + 1:].split(','):
        pieces = part.split('-')
        start = js_parse_int(pieces[0])
        end = js_parse_int(pieces[1]) if len(pieces) > 1 else None
        if start is None:
            # -nnn: the last nnn bytes (with no nnn either, NaN: skipped)
            if end is None:
                continue
            start = size - end
            end = size - 1
        elif end is None:
            end = size - 1
        if end > size - 1:
            end = size - 1
        if start > end or start < 0:
            continue
        ranges.append((start, end))
    if not ranges:
        return -1
    return _combine(ranges)


def _combine(ranges):
    ordered = sorted(([start, end, index] for index, (start, end) in enumerate(ranges)), key=lambda r: r[0])
    combined = [ordered[0]]
    for r in ordered[1:]:
        current = combined[-1]
        if r[0] > current[1] + 1:
            combined.append(r)
        elif r[1] > current[1]:
            current[1] = r[1]
            current[2] = min(current[2], r[2])
    combined.sort(key=lambda r: r[2])
    return [(start, end) for start, end, _ in combined]


def accepts(accept, coding):
    """Whether an Accept-Encoding value accepts `coding` (by name, else `*`) with a q above 0."""
    star = False
    for part in accept.split(','):
        pieces = js_trim(part).lower().split(';')
        name = js_trim(pieces[0])
        q = None
        for param in pieces[1:]:
            param = js_trim(param)
            if param.startswith('q='):
                q = param
                break
        ok = q is None or js_number(q[2:]) > 0
        if name == coding:
            return ok
        if name == '*':
            star = ok
    return star


def choose_encoding(accept, has_br, has_gzip):
    """'br', then 'gzip', when the client accepts it and the sibling exists; None for the file itself."""
    if accept is None:
        return None
    if has_br and accepts(accept, 'br'):
        return 'br'
    if has_gzip and accepts(accept, 'gzip'):
        return 'gzip'
    return None
