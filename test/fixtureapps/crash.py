"""Kills its own worker process in the middle of a request.

/                  answers the worker's pid
/sleep?s=N         sleeps N seconds, then answers the pid
/kill              SIGKILL to itself before answering
/exit?code=N       os._exit(N) before answering
/kill_midstream    yields b'first chunk;' (no Content-Length), then SIGKILL to itself
"""
import os
import signal
import time
from urllib.parse import parse_qs
from wsgiref.validate import validator


def app(environ, start_response):
    qs = parse_qs(environ.get('QUERY_STRING', ''), keep_blank_values=True)
    path = environ.get('PATH_INFO', '')
    if path == '/kill':
        os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(10)
    if path == '/exit':
        os._exit(int(qs.get('code', ['3'])[-1]))
    if path == '/kill_midstream':
        start_response('200 OK', [('Content-Type', 'text/plain')])

        def gen():
            yield b'first chunk;'
            time.sleep(0.2)
            os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(10)
            yield b'never'
        return gen()
    if path == '/sleep':
        time.sleep(float(qs.get('s', ['1'])[-1]))
    body = str(os.getpid()).encode('ascii')
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
    return [body]


application = validator(app)
