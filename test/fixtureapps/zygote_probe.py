"""An app that says where it was imported and who serves it: its import appends a line
"import PID" to $ZYGOTE_PROBE_LOG, and every response is JSON with the serving process's pid and
parent pid. The import builds ~40 MB of Python objects, so that the pages workers share with the
process that imported it show in their PSS. With ZYGOTE_PROBE_THREAD set, the import also starts a
thread (which a forked worker does not have)."""

import json
import os
import threading
import time
from wsgiref.validate import validator

with open(os.environ['ZYGOTE_PROBE_LOG'], 'a') as log:
    log.write('import %d\n' % os.getpid())

# Objects the workers only read: forked workers share their pages.
TABLE = {i: ('value %d' % i) * 4 for i in range(200_000)}

if os.environ.get('ZYGOTE_PROBE_THREAD'):
    threading.Thread(target=lambda: time.sleep(3600), name='import-time-poller', daemon=True).start()


def _probe(environ, start_response):
    body = json.dumps({
        'pid': os.getpid(),
        'ppid': os.getppid(),
        'table': len(TABLE),
        'threads': [thread.name for thread in threading.enumerate()],
    }).encode('utf-8')
    start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
    return [body]


application = validator(_probe)
