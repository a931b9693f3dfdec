"""Waits for a gate file before answering: for queueing and request-body buffering tests.

/?gate=PATH&id=ID   logs 'gated request ID started' to wsgi.errors, waits (up to 30 s) until PATH
                    exists, then reads the whole body and answers JSON: id, started (time.time()
                    when the app was called), bytes and sha256 of the body.
Without gate, it answers at once. With exit=1 the worker process exits (as if killed) instead of
reading the body.
"""
import hashlib
import json
import os
import time
from urllib.parse import parse_qs
from wsgiref.validate import validator


def app(environ, start_response):
    started = time.time()
    qs = parse_qs(environ.get('QUERY_STRING', ''), keep_blank_values=True)
    ident = qs.get('id', ['-'])[-1]
    gate = qs.get('gate', [None])[-1]
    environ['wsgi.errors'].write('gated request %s started\n' % ident)
    environ['wsgi.errors'].flush()
    if gate is not None:
        deadline = started + 30
        while not os.path.exists(gate) and time.time() < deadline:
            time.sleep(0.02)
    if qs.get('exit', ['0'])[-1] == '1':
        os._exit(1)
    hasher = hashlib.sha256()
    size = 0
    stream = environ['wsgi.input']
    length = environ.get('CONTENT_LENGTH', '')
    remaining = int(length) if length else None
    while remaining is None or remaining > 0:
        piece = stream.read(65536 if remaining is None else min(65536, remaining))
        if not piece:
            break
        hasher.update(piece)
        size += len(piece)
        if remaining is not None:
            remaining -= len(piece)
    body = json.dumps({'id': ident, 'started': started, 'bytes': size, 'sha256': hasher.hexdigest()}).encode()
    start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
    return [body]


application = validator(app)
