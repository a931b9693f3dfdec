"""Reads the request body in a chosen way and reports what it got, as JSON.

/?mode=MODE&size=N&delay=MS
  read        read(N) until it returns b'' (N defaults to 65536)
  readline    readline() until b''; with size=N, readline(N)
  readlines   readlines() once; with size=N, readlines(N) repeatedly until []
  iter        for line in wsgi.input (through the validator's wrapper)
  iter_raw    for line in the server's own wsgi.input object (no validator in between)
  readall     the server's own wsgi.input.read() with no argument (the validator only allows read(n))
  read_minus1 read(-1)
  none        does not read at all
delay=MS sleeps before reading (so that a fast client has to be held back by flow control).

JSON: bytes, sha256, reads (non-empty pieces returned), max_piece (longest piece), lines
(pieces ending in b'\\n'), over (pieces longer than the size asked for), after_eof (bytes a
read(100) and a readline() returned after the end was reached), content_length, pid.
"""
import hashlib
import json
import os
import time
from urllib.parse import parse_qs
from wsgiref.validate import validator


def app(environ, start_response):
    qs = parse_qs(environ.get('QUERY_STRING', ''), keep_blank_values=True)

    def opt(name, default=None):
        return qs.get(name, [default])[-1]

    mode = opt('mode', 'read')
    size = opt('size')
    size = int(size) if size is not None else None
    delay = float(opt('delay', '0')) / 1000.0
    if delay:
        time.sleep(delay)

    stream = environ['wsgi.input']
    raw = getattr(stream, 'input', stream)  # the server's object under the validator's wrapper
    hasher = hashlib.sha256()
    stats = {'bytes': 0, 'reads': 0, 'max_piece': 0, 'lines': 0, 'over': 0}

    def took(piece, limit=None):
        assert type(piece) is bytes, type(piece)
        if not piece:
            return
        stats['bytes'] += len(piece)
        stats['reads'] += 1
        stats['max_piece'] = max(stats['max_piece'], len(piece))
        if piece.endswith(b'\n'):
            stats['lines'] += 1
        if limit is not None and limit >= 0 and len(piece) > limit:
            stats['over'] += 1
        hasher.update(piece)

    if mode == 'read':
        n = size or 65536
        while True:
            piece = stream.read(n)
            if not piece:
                break
            took(piece, n)
    elif mode == 'readline':
        while True:
            piece = stream.readline(size) if size is not None else stream.readline()
            if not piece:
                break
            took(piece, size)
    elif mode == 'readlines':
        if size is None:
            for line in stream.readlines():
                took(line)
        else:
            while True:
                lines = stream.readlines(size)
                if not lines:
                    break
                for line in lines:
                    took(line)
    elif mode == 'iter':
        for line in stream:
            took(line)
    elif mode == 'iter_raw':
        for line in raw:
            took(line)
    elif mode == 'readall':
        took(raw.read())
    elif mode == 'read_minus1':
        took(stream.read(-1))
    elif mode != 'none':
        raise ValueError('unknown mode %r' % mode)

    after = 0
    if mode != 'none':
        after += len(stream.read(100))
        after += len(stream.readline())

    result = dict(stats)
    result.update({
        'sha256': hasher.hexdigest(),
        'after_eof': after,
        'content_length': environ.get('CONTENT_LENGTH'),
        'mode': mode,
        'pid': os.getpid(),
    })
    body = json.dumps(result).encode('ascii')
    start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
    return [body]


application = validator(app)
