"""An app for the supervision tests (reloads, recycling, harakiri, signals).

/                 'pid PID greeting GREETING' (GREETING from the environment, set with --env)
/?sleep=SECONDS   the same after sleeping; logs 'request ID started' first (?id=ID)
/grow?mb=N        keeps N more MiB alive in this worker, then answers like /
"""
import os
import time
from urllib.parse import parse_qs
from wsgiref.validate import validator

KEPT = []


def app(environ, start_response):
    qs = parse_qs(environ.get('QUERY_STRING', ''))
    if 'id' in qs:
        environ['wsgi.errors'].write('request %s started\n' % qs['id'][0])
        environ['wsgi.errors'].flush()
    if 'sleep' in qs:
        time.sleep(float(qs['sleep'][0]))
    if environ['PATH_INFO'] == '/grow':
        KEPT.append(bytearray(int(qs['mb'][0]) * 1024 * 1024))
    body = ('pid %d greeting %s' % (os.getpid(), os.environ.get('GREETING', '-'))).encode('ascii')
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
    return [body]


application = validator(app)
