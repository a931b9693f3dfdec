"""Responses the request-log tests log: the status and body size come from the path.

/status/NNN    status NNN, body b'status NNN\\n'
/bytes/N       200 with N bytes of body
/empty         200 with no body
/slow/MS       200 after sleeping MS milliseconds
/print         200, after printing a line on stdout and one on stderr
anything else  200 'ok\\n'
"""
import sys
import time
from wsgiref.validate import validator

TEXT = [('Content-Type', 'text/plain')]


def app(environ, start_response):
    path = environ.get('PATH_INFO', '')
    parts = path.split('/')
    if len(parts) == 3 and parts[1] == 'status':
        code = int(parts[2])
        body = b'status %d\n' % code
        start_response('%d Whatever' % code, TEXT + [('Content-Length', str(len(body)))])
        return [body]
    if len(parts) == 3 and parts[1] == 'bytes':
        body = b'x' * int(parts[2])
        start_response('200 OK', TEXT + [('Content-Length', str(len(body)))])
        return [body]
    if path == '/empty':
        start_response('200 OK', TEXT + [('Content-Length', '0')])
        return []
    if len(parts) == 3 and parts[1] == 'slow':
        time.sleep(int(parts[2]) / 1000)
    if path == '/print':
        print('a line on stdout "quoted"', flush=True)
        sys.stderr.write('a line on stderr\n')
        sys.stderr.flush()
    start_response('200 OK', TEXT + [('Content-Length', '3')])
    return [b'ok\n']


application = validator(app)
