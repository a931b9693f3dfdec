"""For the systemd tests: which of systemd's variables the app sees in its environment.

/    JSON: {"pid": PID, "systemd": {NAME: VALUE}} for every NOTIFY_*, LISTEN_* and WATCHDOG_* variable
"""
import json
import os
from wsgiref.validate import validator

PREFIXES = ('NOTIFY_', 'LISTEN_', 'WATCHDOG_')


def app(environ, start_response):
    seen = {name: value for name, value in os.environ.items() if name.startswith(PREFIXES)}
    body = json.dumps({'pid': os.getpid(), 'systemd': seen}).encode('ascii')
    start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
    return [body]


application = validator(app)
