"""Reports what `import uwsgi` gives the app, as JSON: GET / (optionally ?sleep=SECONDS first, so
that concurrent requests land on different workers), GET /reload calls uwsgi.reload(). With
UWSGI_PROBE_LOG set, uwsgi.post_fork_hook and uwsgi.atexit append a line to that file."""

import json
import os
import time
from urllib.parse import parse_qs
from wsgiref.validate import validator

import uwsgi


def _record(event):
    path = os.environ.get('UWSGI_PROBE_LOG')
    if path:
        with open(path, 'a') as f:
            f.write('%s %d %d\n' % (event, uwsgi.worker_id(), os.getpid()))


uwsgi.post_fork_hook = lambda: _record('postfork')
uwsgi.atexit = lambda: _record('atexit')


def _opt_value(value):
    """[type, value] so that the test sees bytes and True apart."""
    return [type(value).__name__, value.decode('utf-8') if isinstance(value, bytes) else value]


def _probe(environ, start_response):
    query = parse_qs(environ.get('QUERY_STRING', ''))
    if environ['PATH_INFO'] == '/reload':
        data = {'reload': uwsgi.reload()}
    else:
        time.sleep(float(query.get('sleep', ['0'])[0]))
        data = {
            'worker_id': uwsgi.worker_id(),
            'masterpid': uwsgi.masterpid(),
            'pid': os.getpid(),
            'numproc': uwsgi.numproc,
            'total_requests': uwsgi.total_requests(),
            'opt': {name: _opt_value(value) for name, value in uwsgi.opt.items()},
        }
    body = json.dumps(data).encode('utf-8')
    start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
    return [body]


application = validator(_probe)
