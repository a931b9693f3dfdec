"""Counts the requests it was called for, to show which ones reached the app at all.

/count      answers how many requests this worker's app got before this one, as text
any other   answers `app: PATH_INFO` and counts the request

Wrapped in wsgiref.validate. Run it with one worker (-p 1): the count is the process's.
"""
from wsgiref.validate import validator

_seen = 0


def app(environ, start_response):
    global _seen
    path = environ.get('PATH_INFO', '')
    if path == '/count':
        body = str(_seen).encode('ascii')
    else:
        _seen += 1
        body = ('app: %s' % path).encode('utf-8', 'surrogateescape')
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
    return [body]


application = validator(app)
