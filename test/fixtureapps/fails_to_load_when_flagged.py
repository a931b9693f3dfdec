"""Loads normally, unless the file named by NUWSGI_TEST_FAIL_FLAG exists: then importing it raises.
A test starts the server, creates the flag, kills the worker, and watches the master back off while
the replacement keeps failing to load; removing the flag lets the next replacement serve.

/       answers the worker's pid
/kill   SIGKILL to its own worker
"""
import os
import signal
from wsgiref.validate import validator

if os.path.exists(os.environ['NUWSGI_TEST_FAIL_FLAG']):
    raise RuntimeError('refusing to load: the flag file exists')


def app(environ, start_response):
    if environ.get('PATH_INFO') == '/kill':
        os.kill(os.getpid(), signal.SIGKILL)
    body = str(os.getpid()).encode('ascii')
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
    return [body]


application = validator(app)
