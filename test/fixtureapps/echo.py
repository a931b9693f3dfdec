"""The universal probe: answers with the request as the WSGI app saw it, as JSON.

Query options:
  noread=1          do not touch wsgi.input (for Expect: 100-continue tests)
  stderr=TEXT       write TEXT and a newline to wsgi.errors
  header=Name:Value add a response header (repeatable), e.g. header=Connection:close

The JSON has: method, path, query, body (latin-1 text, only for bodies up to 1 MiB), body_len,
body_sha256, reads (how many read() calls returned data), cgi (every environ key without a dot,
so every CGI and HTTP_* variable), wsgi (every dotted key: its type name, its value when it is a
plain value, and for the validator's wrappers the type of the server's own object), pid.
"""
import hashlib
import json
import os
from urllib.parse import parse_qs
from wsgiref.validate import validator

KEEP_BODY = 1 << 20


def describe(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        return [describe(v) for v in value]
    return None


def app(environ, start_response):
    qs = parse_qs(environ.get('QUERY_STRING', ''), keep_blank_values=True)

    def opt(name, default=None):
        return qs.get(name, [default])[-1]

    if opt('stderr') is not None:
        environ['wsgi.errors'].write(opt('stderr') + '\n')
        environ['wsgi.errors'].flush()

    hasher = hashlib.sha256()
    kept = []
    total = 0
    reads = 0
    if opt('noread') is None:
        stream = environ['wsgi.input']
        while True:
            chunk = stream.read(65536)
            if not chunk:
                break
            reads += 1
            total += len(chunk)
            hasher.update(chunk)
            if total <= KEEP_BODY:
                kept.append(chunk)

    cgi = {k: v for k, v in environ.items() if '.' not in k}
    wsgi = {}
    for k, v in environ.items():
        if '.' not in k:
            continue
        entry = {'type': type(v).__name__, 'value': describe(v)}
        inner = getattr(v, 'input', None) if k == 'wsgi.input' else getattr(v, 'errors', None) if k == 'wsgi.errors' else None
        if inner is not None:
            entry['inner_type'] = type(inner).__name__
        if callable(v):
            entry['callable'] = True
        wsgi[k] = entry

    result = {
        'method': environ['REQUEST_METHOD'],
        'path': environ.get('PATH_INFO'),
        'query': environ.get('QUERY_STRING'),
        'body': b''.join(kept).decode('latin-1') if total <= KEEP_BODY else None,
        'body_len': total,
        'body_sha256': hasher.hexdigest(),
        'reads': reads,
        'cgi': cgi,
        'wsgi': wsgi,
        'pid': os.getpid(),
    }
    body = json.dumps(result, sort_keys=True).encode('ascii')
    headers = [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))]
    for h in qs.get('header', []):
        name, _, value = h.partition(':')
        headers.append((name.strip(), value.strip()))
    start_response('200 OK', headers)
    return [body]


application = validator(app)
