"""Records every close() of the response iterable, so a test can check that the server called it.

/?track=FILE&id=ID&chunks=N&size=S&sleep=MS&fail_at=K
  FILE (or the CLOSE_TRACK_FILE environment variable) gets the line 'ID called' when the app is
  called and 'ID closed after I chunks' when close() is called. The iterable yields N chunks of S
  bytes (b'x'), sleeping MS milliseconds before every chunk but the first; with fail_at=K its K-th
  next() (0-based) raises RuntimeError instead. Defaults: N=3, S=10.
"""
import os
import time
from urllib.parse import parse_qs
from wsgiref.validate import validator


def record(track, line):
    if track:
        with open(track, 'a') as f:
            f.write(line + '\n')


class Tracked:
    def __init__(self, track, ident, chunks, size, pause, fail_at):
        self.track = track
        self.ident = ident
        self.chunks = chunks
        self.size = size
        self.pause = pause
        self.fail_at = fail_at
        self.i = 0
        self.closed = False

    def __iter__(self):
        return self

    def __next__(self):
        if self.closed:
            raise StopIteration
        if self.fail_at is not None and self.i == self.fail_at:
            raise RuntimeError('nuwsgi-test-marker: iterable %s failed at chunk %d' % (self.ident, self.i))
        if self.i >= self.chunks:
            raise StopIteration
        if self.pause and self.i:
            time.sleep(self.pause)
        self.i += 1
        return b'x' * self.size

    def close(self):
        self.closed = True
        record(self.track, '%s closed after %d chunks' % (self.ident, self.i))


def app(environ, start_response):
    qs = parse_qs(environ.get('QUERY_STRING', ''), keep_blank_values=True)

    def opt(name, default=None):
        return qs.get(name, [default])[-1]

    track = opt('track', os.environ.get('CLOSE_TRACK_FILE'))
    ident = opt('id', 'request')
    record(track, '%s called' % ident)
    fail_at = opt('fail_at')
    it = Tracked(track, ident, int(opt('chunks', '3')), int(opt('size', '10')),
                 float(opt('sleep', '0')) / 1000.0, int(fail_at) if fail_at is not None else None)
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return it


application = validator(app)
