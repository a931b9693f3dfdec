"""The app behind the static-file tests: it answers what the static mounts leave to it (404 with
`app: PATH_INFO`), and remembers every PATH_INFO it saw, which GET /__seen returns as JSON and
clears, so that a test can tell which requests reached a worker."""
import json
from wsgiref.validate import validator

SEEN = []


@validator
def application(environ, start_response):
    path = environ['PATH_INFO']
    if path == '/__seen':
        body = json.dumps(SEEN).encode('utf-8')
        del SEEN[:]
        start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
        return [body]
    SEEN.append(path)
    body = b'app: ' + path.encode('latin-1')
    start_response('404 Not Found', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
    return [body]
