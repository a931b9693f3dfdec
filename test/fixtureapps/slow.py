"""Sleeps, then answers: for shutdown and in-flight tests.

/?sleep=SECONDS&id=ID   writes 'slow request ID started' to wsgi.errors, sleeps, then answers
                        'slept SECONDS (ID)' with a Content-Length.
"""
import time
from urllib.parse import parse_qs
from wsgiref.validate import validator


def app(environ, start_response):
    qs = parse_qs(environ.get('QUERY_STRING', ''), keep_blank_values=True)
    seconds = qs.get('sleep', ['1'])[-1]
    ident = qs.get('id', ['-'])[-1]
    environ['wsgi.errors'].write('slow request %s started\n' % ident)
    environ['wsgi.errors'].flush()
    time.sleep(float(seconds))
    body = ('slept %s (%s)' % (seconds, ident)).encode('ascii')
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
    return [body]


application = validator(app)
