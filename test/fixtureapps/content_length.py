"""A declared Content-Length that the body does or does not honour.

/?declared=D&actual=A&split=1   declares Content-Length: D and sends A bytes of b'x' (in one chunk,
                                or one byte per chunk with split=1). Default D = A = 10.
"""
from urllib.parse import parse_qs
from wsgiref.validate import validator


def app(environ, start_response):
    qs = parse_qs(environ.get('QUERY_STRING', ''), keep_blank_values=True)
    declared = int(qs.get('declared', ['10'])[-1])
    actual = int(qs.get('actual', [str(declared)])[-1])
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(declared))])
    if qs.get('split'):
        return [b'x'] * actual
    return [b'x' * actual]


application = validator(app)
