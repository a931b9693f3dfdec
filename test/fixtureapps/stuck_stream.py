"""Streams the start of its response, then gets stuck: for harakiri once part of a response was sent.

/?size=S&sleep=SECONDS&cl=1&id=ID
    logs 'stuck stream ID started', yields S bytes of b'a' (sent at once: the result is a generator),
    sleeps SECONDS (default 60), then yields S bytes of b'b'. With cl=1 a Content-Length of 2*S is
    declared, so a client can tell that the body ended early. Defaults: S=1000.
"""
import time
from urllib.parse import parse_qs
from wsgiref.validate import validator


def app(environ, start_response):
    qs = parse_qs(environ.get('QUERY_STRING', ''), keep_blank_values=True)

    def opt(name, default=None):
        return qs.get(name, [default])[-1]

    size = int(opt('size', '1000'))
    pause = float(opt('sleep', '60'))
    environ['wsgi.errors'].write('stuck stream %s started\n' % opt('id', 'request'))
    environ['wsgi.errors'].flush()
    headers = [('Content-Type', 'application/octet-stream')]
    if opt('cl'):
        headers.append(('Content-Length', str(2 * size)))
    start_response('200 OK', headers)

    def body():
        yield b'a' * size
        time.sleep(pause)
        yield b'b' * size

    return body()


application = validator(app)
