"""The uwsgi protocol that nginx's uwsgi_pass speaks, without any I/O: the head of a request and the
environ its vars become (reference: uwsgi.md section 1).

    u8 modifier1 | u16 LE datasize | u8 modifier2 | vars block of `datasize` bytes
    vars block:  repeat { u16 LE key length (> 0) | key | u16 LE value length | value }

The vars map to the environ the way uWSGI maps them, so an app cannot tell nginx -> nuwsgi from
nginx -> uWSGI, with these exceptions. Vars that make uWSGI load code or change its state
(UWSGI_FILE, UWSGI_MODULE, UWSGI_CHDIR...: every UWSGI_*) are never honoured nor passed on, and
neither are keys with a dot, the server's own namespace (wsgi.*). HTTP_CONTENT_TYPE and
HTTP_CONTENT_LENGTH, which nginx sends next to CONTENT_TYPE and CONTENT_LENGTH, are dropped as
PEP 3333 wants. A key may appear twice: the last one wins, as in uWSGI.
"""

import json

from .peers import forwarded_origin

# More vars than any real request has (nginx sends 14 plus one per header; uWSGI stops near 128).
MAX_VARS = 1000
# The vars block size is a 16-bit field.
MAX_DATASIZE = 0xffff
HEADER_SIZE = 4

# The first four bytes of the request lines a browser or curl sends.
_HTTP_STARTS = frozenset((b'GET ', b'POST', b'HEAD', b'PUT ', b'DELE', b'OPTI', b'PATC', b'CONN', b'TRAC'))


class UwsgiError(Exception):
    """Bytes that are not a uwsgi request the worker serves. `code` says what they are:

    LOOKS_LIKE_HTTP, LOOKS_LIKE_TLS, UNSUPPORTED_MODIFIER (modifier1 is not 0, a WSGI request),
    HEAD_TOO_LARGE (datasize above buffer-size), EMPTY_KEY, TRUNCATED_VAR (a length runs past the
    end of the block), TOO_MANY_VARS. `value` is modifier1 or datasize where that matters.
    """

    def __init__(self, code, message, value=0):
        Exception.__init__(self, message)
        self.code = code
        self.value = value


class BadVars(Exception):
    """A well-formed head whose vars cannot make a request (a NUL byte, a CONTENT_LENGTH that is not
    a length): answered 400, and the message says why."""


def head_size(data, max_datasize):
    """The size of the whole head (header and vars block) once `data` holds its 4-byte header, or
    None before. Raises UwsgiError for a header that is not one of a WSGI request."""
    if len(data) < HEADER_SIZE:
        return None
    modifier1 = data[0]
    if modifier1 != 0:
        raise _not_uwsgi(data)
    datasize = data[1] | data[2] << 8
    limit = min(max_datasize, MAX_DATASIZE)
    if datasize > limit:
        raise UwsgiError(
            'HEAD_TOO_LARGE', 'the vars block is %d bytes, more than buffer-size (%d bytes)' % (datasize, limit), datasize)
    return HEADER_SIZE + datasize


def parse_vars(data, end):
    """The (key, value) pairs of the vars block data[4:end], in wire order, decoded as latin-1.
    Raises UwsgiError for a block that does not parse, saying where."""
    # latin-1 maps each byte to one character, so offsets into the text are offsets into the bytes
    text = data[HEADER_SIZE:end].decode('latin-1')
    size = end - HEADER_SIZE
    pairs = []
    pos = 0
    while pos < size:
        if len(pairs) == MAX_VARS:
            raise UwsgiError('TOO_MANY_VARS', 'more than %d vars' % MAX_VARS)
        if size - pos < 2:
            raise _truncated(pos)
        at = HEADER_SIZE + pos
        key_length = data[at] | data[at + 1] << 8
        if key_length == 0:
            raise UwsgiError('EMPTY_KEY', 'a var with an empty key at byte %d' % pos)
        if size - pos - 2 < key_length + 2:
            raise _truncated(pos)
        key_end = pos + 2 + key_length
        at = HEADER_SIZE + key_end
        value_length = data[at] | data[at + 1] << 8
        value_start = key_end + 2
        if size - value_start < value_length:
            raise _truncated(key_end)
        pos = value_start + value_length
        pairs.append((text[key_end - key_length:key_end], text[value_start:pos]))
    return pairs


# Keys passed to the environ as they are, once seen: nginx sends the same keys with every request.
# The keys with a meaning of their own are looked up after the block is read (request_environ).
_SPECIAL = frozenset(('REMOTE_ADDR', 'CONTENT_LENGTH', 'HTTPS', 'REQUEST_SCHEME', 'HTTP_X_FORWARDED_FOR',
                      'HTTP_X_FORWARDED_PROTO'))
_passing = set(_SPECIAL)
_PASSING_MAX = 2000
# A block this large may hold more than MAX_VARS vars (a var takes 5 bytes at least): parse_vars counts them.
_MANY_VARS_BYTES = (MAX_VARS + 1) * 5


def request_environ(data, end, trusted_proxies):
    """request_environ_counted without what the request log needs."""
    environ, content_length, _, _ = request_environ_counted(data, end, trusted_proxies)
    return environ, content_length


def request_environ_counted(data, end, trusted_proxies):
    """The CGI environ of the head data[:end] (without the wsgi.* keys but wsgi.url_scheme), its
    CONTENT_LENGTH as a number, the number of vars sent, and whether the peer that sent them is a
    trusted proxy (its X-Forwarded-For then made REMOTE_ADDR). Raises UwsgiError when the block does not parse, BadVars when
    its vars cannot make a request.

    This runs for every request, so it reads the block without checking each length, and looks at
    the keys afterwards. A block that does not add up (a length past its end, an empty key, too
    many vars) is read again by parse_vars, which says what is wrong with it exactly.
    """
    environ = _vars_of(data, end)
    # the vars as sent, as uWSGI's request log counts them (before any is dropped or added)
    sent = 0 if environ is None else len(environ)
    if environ is None or '' in environ or end - HEADER_SIZE >= _MANY_VARS_BYTES:
        parse_vars(data, end)  # raises, unless a large block holds few enough vars
        if environ is None or '' in environ:
            raise AssertionError('parse_vars accepted a vars block that does not add up')
    if '\0' in ''.join(environ.values()):
        key = next(key for key, value in environ.items() if '\0' in value)
        raise BadVars('the var %s contains a NUL byte' % json.dumps(key))
    if not environ.keys() <= _passing:
        _drop_unwanted(environ, environ.keys() - _passing)
    content_length = environ.get('CONTENT_LENGTH')
    content_length = _content_length(content_length) if content_length else 0
    https = environ.get('HTTPS', '')
    # HTTPS (on or 1) or REQUEST_SCHEME (https), as uWSGI decides
    scheme = 'https' if (https[:1] == '1' or https[:2].lower() == 'on'
                         or environ.get('REQUEST_SCHEME', '').lower() == 'https') else 'http'
    # REMOTE_ADDR is added last, once X-Forwarded-For is known
    remote_addr = environ.pop('REMOTE_ADDR', '')
    from_proxy = trusted_proxies is not None and trusted_proxies.has(remote_addr)
    if from_proxy:
        remote_addr, scheme = forwarded_origin(trusted_proxies, remote_addr, scheme,
                                               environ.get('HTTP_X_FORWARDED_FOR'), environ.get('HTTP_X_FORWARDED_PROTO'))
    if remote_addr:
        environ['REMOTE_ADDR'] = remote_addr
    if 'SCRIPT_NAME' not in environ:
        environ['SCRIPT_NAME'] = ''
    environ['wsgi.url_scheme'] = scheme
    return environ, content_length, sent, from_proxy


def _vars_of(data, end):
    """The vars of the block data[4:end] as a dict (the last of a repeated key wins), or None when
    a length runs past the end of the block."""
    # latin-1 maps each byte to one character, so offsets into the text are offsets into the bytes
    text = data[HEADER_SIZE:end].decode('latin-1')
    size = end - HEADER_SIZE
    environ = {}
    pos = 0
    try:
        while pos < size:
            at = pos + HEADER_SIZE
            key_start = pos + 2
            pos = key_start + (data[at] | data[at + 1] << 8)
            at = pos + HEADER_SIZE
            value_start = pos + 2
            key = text[key_start:pos]
            pos = value_start + (data[at] | data[at + 1] << 8)
            environ[key] = text[value_start:pos]
    except IndexError:
        return None
    # a length that ran past the end of the block leaves pos past it
    return environ if pos == size else None


def _drop_unwanted(environ, keys):
    """Keys not seen before: a NUL makes the request a bad one; UWSGI_*, dotted keys and the
    HTTP_CONTENT_* duplicates are dropped; the others pass, now and from now on."""
    for key in keys:
        if '\0' in key:
            raise BadVars('the var %s contains a NUL byte' % json.dumps(key))
        if key.startswith('UWSGI_') or '.' in key or key in ('HTTP_CONTENT_TYPE', 'HTTP_CONTENT_LENGTH'):
            del environ[key]
        else:
            if len(_passing) >= _PASSING_MAX:
                _passing.clear()
                _passing.update(_SPECIAL)
            _passing.add(key)


def _content_length(value):
    """CONTENT_LENGTH as a number: empty is 0 (nginx sends it empty without a body)."""
    if not value:
        return 0
    if len(value) > 15 or not value.isdigit() or not value.isascii():
        raise BadVars('CONTENT_LENGTH %s is not a length' % json.dumps(value))
    return int(value)


def response_protocol(environ):
    """The status line's protocol: SERVER_PROTOCOL when it is an HTTP version, else HTTP/1.0 (as uWSGI)."""
    protocol = environ.get('SERVER_PROTOCOL', '')
    if protocol == 'HTTP/1.1':
        return protocol
    if (len(protocol) == 8 and protocol.startswith('HTTP/') and protocol[6] == '.'
            and protocol[5] in '0123456789' and protocol[7] in '0123456789'):
        return protocol
    return 'HTTP/1.0'


def _truncated(at):
    return UwsgiError('TRUNCATED_VAR', 'a var at byte %d runs past the end of the vars block' % at)


def _not_uwsgi(header):
    """The first bytes of something that is not a uwsgi request: HTTP, TLS, or another modifier1."""
    if header[0] == 0x16 and header[1] == 0x03:
        return UwsgiError('LOOKS_LIKE_TLS', 'a TLS handshake', header[0])
    if bytes(header[:HEADER_SIZE]) in _HTTP_STARTS:
        return UwsgiError('LOOKS_LIKE_HTTP', 'an HTTP request', header[0])
    return UwsgiError('UNSUPPORTED_MODIFIER', 'unsupported modifier1 %d' % header[0], header[0])
