"""An app that uses Debian's python3-uwsgidecorators: @postfork runs in every worker, @postfork(2)
only in worker 2, and uwsgi.atexit at shutdown; each appends a line to $UWSGI_PROBE_LOG.
uwsgidecorators refuses to load without --master."""

import json
import os
from wsgiref.validate import validator

import uwsgi
from uwsgidecorators import postfork


def _record(event):
    with open(os.environ['UWSGI_PROBE_LOG'], 'a') as f:
        f.write('%s %d %d\n' % (event, uwsgi.worker_id(), os.getpid()))


@postfork
def reconnect():
    _record('postfork')


@postfork(2)
def only_in_worker_2():
    _record('postfork(2)')


uwsgi.atexit = lambda: _record('atexit')


def _hello(environ, start_response):
    body = json.dumps({'worker_id': uwsgi.worker_id()}).encode('utf-8')
    start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
    return [body]


application = validator(_hello)
