"""A WSGI app with one route per behaviour the worker must handle, good and bad.

Well-behaved routes are wrapped in wsgiref.validate.validator, which asserts PEP 3333 on both sides.
Routes that break the rules on purpose are not. Result close() calls and what the app observed are
recorded in EVENTS, which GET /events returns (and clears): the worker runs one request at a time.
"""

import io
import json
import os
import signal
import sys
from urllib.parse import parse_qs
from wsgiref.validate import validator

EVENTS = []
ROUTES = {}


def route(path, validate=True):
    def register(app):
        ROUTES[path] = validator(app) if validate else app
        return app
    return register


def application(environ, start_response):
    app = ROUTES.get(environ['PATH_INFO'])
    if app is None:
        start_response('404 Not Found', [('Content-Type', 'text/plain')])
        return [b'no such route\n']
    return app(environ, start_response)


def query(environ, name, default=None):
    return parse_qs(environ.get('QUERY_STRING', '')).get(name, [default])[0]


def json_response(start_response, data, status='200 OK'):
    body = json.dumps(data).encode()
    start_response(status, [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
    return [body]


class Recorded:
    """A result iterable that records its close() in EVENTS."""

    def __init__(self, name, chunks, close_raises=False):
        self.name = name
        self.chunks = chunks
        self.close_raises = close_raises

    def __iter__(self):
        return iter(self.chunks)

    def close(self):
        EVENTS.append('closed ' + self.name)
        if self.close_raises:
            raise RuntimeError('close() failed on purpose')


def recorded_generator(name, chunks, fail_after=None):
    try:
        for i, chunk in enumerate(chunks):
            if fail_after is not None and i == fail_after:
                raise ValueError('failed on purpose after %d chunks' % i)
            yield chunk
    finally:
        EVENTS.append('closed ' + name)


# -- well-behaved --

@route('/hello')
def hello(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '13')])
    return [b'Hello, World!']


@route('/environ')
def show_environ(environ, start_response):
    data = {key: value for key, value in environ.items() if isinstance(value, str)}
    data['wsgi.version'] = list(environ['wsgi.version'])
    for key in ('wsgi.multithread', 'wsgi.multiprocess', 'wsgi.run_once', 'wsgi.input_terminated'):
        data[key] = environ[key]
    data['wsgi.errors is sys.stderr'] = environ['wsgi.errors'].errors is sys.stderr
    data['wsgi.file_wrapper'] = environ['wsgi.file_wrapper'].__name__
    data['id'] = id(environ)
    EVENTS.append(environ)
    return json_response(start_response, data)


@route('/same-environ')
def same_environ(environ, start_response):
    """Whether the previous /environ request's dict is still intact (a fresh dict per request)."""
    previous = [e for e in EVENTS if isinstance(e, dict)][-1]
    EVENTS.clear()
    return json_response(start_response, {'previous_intact': previous.get('PATH_INFO') == '/environ'})


@route('/read')
def read_body(environ, start_response):
    """Reads the body as `how` says and returns the pieces it got, in order."""
    stream = environ['wsgi.input']
    how = query(environ, 'how', 'all')
    size = int(query(environ, 'size', '-1'))
    pieces = []
    try:
        if how == 'all':
            pieces.append(stream.read(-1))
            pieces.append(stream.read(-1))
        elif how == 'sized':
            while True:
                piece = stream.read(size)
                pieces.append(piece)
                if not piece:
                    break
        elif how == 'lines':
            while True:
                line = stream.readline(size) if size >= 0 else stream.readline()
                pieces.append(line)
                if not line:
                    break
        elif how == 'readlines':
            pieces.extend(stream.readlines(size) if size >= 0 else stream.readlines())
        elif how == 'iter':
            pieces.extend(stream)
        error = None
    except OSError as exc:
        error = '%s: %s' % (type(exc).__name__, exc)
    return json_response(start_response, {'pieces': [p.decode('latin-1') for p in pieces], 'error': error})


@route('/read-unvalidated', validate=False)
def read_body_unvalidated(environ, start_response):
    """What the validator does not allow: read() with no argument, read(None), readline(None), and
    iterating over wsgi.input itself."""
    stream = environ['wsgi.input']
    how = query(environ, 'how')
    if how == 'iter':
        pieces = list(stream)
    elif how == 'none':
        pieces = [stream.readline(None), stream.read(None)]
    else:
        pieces = [stream.readline(), stream.read()]
    return json_response(start_response, {'pieces': [p.decode('latin-1') for p in pieces]})


@route('/read-uncaught')
def read_uncaught(environ, start_response):
    environ['wsgi.input'].read(1 << 30)
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'unreachable when the body is aborted']


@route('/ignore-body')
def ignore_body(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'did not read']


@route('/stream-lines')
def stream_lines(environ, start_response):
    """Yields every line of the body as soon as it is read: each must reach the master at once."""
    start_response('200 OK', [('Content-Type', 'text/plain')])

    def lines():
        for line in environ['wsgi.input']:
            yield line
    return lines()


@route('/big')
def big(environ, start_response):
    size = int(query(environ, 'size'))
    chunk = int(query(environ, 'chunk', str(size)))
    start_response('200 OK', [('Content-Type', 'application/octet-stream'), ('Content-Length', str(size))])
    body = bytes(range(256)) * (size // 256 + 1)
    return Recorded('big', [body[i:i + chunk] for i in range(0, size, chunk)])


@route('/write')
def write_chunks(environ, start_response):
    write = start_response('200 OK', [('Content-Type', 'text/plain')])
    write(b'one,')
    write(b'')
    write(b'two,')
    return Recorded('write', [b'three'])


@route('/write-empty-only')
def write_empty_only(environ, start_response):
    """write(b'') alone: PEP 3333 sends the head on the first write() call."""
    write = start_response('200 OK', [('Content-Type', 'text/plain')])
    write(b'')
    return []


@route('/file')
def file_wrapper(environ, start_response):
    size = int(query(environ, 'size'))

    class File(io.BytesIO):
        def close(self):
            EVENTS.append('closed file')
            super().close()
    start_response('200 OK', [('Content-Type', 'application/octet-stream')])
    return environ['wsgi.file_wrapper'](File(b'f' * size), int(query(environ, 'blksize', '8192')))


@route('/real-file', validate=False)
def real_file(environ, start_response):
    """wsgi.file_wrapper over the regular file ?path=P, from ?offset=O, with Content-Length ?cl=N.
    Not validated: the validator would hand the worker its own iterator instead of the FileWrapper."""
    class File(io.FileIO):
        def close(self):
            if not self.closed:
                EVENTS.append('closed real-file')
            super().close()
    f = File(query(environ, 'path'), 'rb')
    f.seek(int(query(environ, 'offset', '0')))
    headers = [('Content-Type', 'application/octet-stream')]
    if query(environ, 'cl') is not None:
        headers.append(('Content-Length', query(environ, 'cl')))
    start_response('200 OK', headers)
    return environ['wsgi.file_wrapper'](f)


@route('/empty')
def empty(environ, start_response):
    start_response('204 No Content', [])
    return Recorded('empty', [])


@route('/empty-chunks')
def empty_chunks(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return recorded_generator('empty-chunks', [b'', b''])


@route('/late-start')
def late_start(environ, start_response):
    """A generator that calls start_response only when first iterated."""
    def body():
        start_response('200 OK', [('Content-Type', 'text/plain')])
        yield b'late'
    return body()


@route('/cookies')
def cookies(environ, start_response):
    start_response('200 OK', [
        ('Content-Type', 'text/plain'), ('Set-Cookie', 'a=1'), ('X-Other', 'x'), ('Set-Cookie', 'b=2'),
        ('Set-Cookie', 'c=3')])
    return [b'cookies']


@route('/exc-info-replace')
def exc_info_replace(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    try:
        raise KeyError('on purpose')
    except KeyError:
        start_response('503 Service Unavailable', [('Content-Type', 'text/plain'), ('Retry-After', '5')],
                       sys.exc_info())
    return [b'replaced']


@route('/head-with-length')
def head_with_length(environ, start_response):
    """Declares a length and, for HEAD, sends no body, which is right."""
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '10')])
    return [] if environ['REQUEST_METHOD'] == 'HEAD' else [b'0123456789']


@route('/events')
def events(environ, start_response):
    data = [e for e in EVENTS if isinstance(e, str)]
    EVENTS.clear()
    return json_response(start_response, data)


@route('/process')
def process(environ, start_response):
    return json_response(start_response, {
        'argv': sys.argv,
        'path': sys.path,
        'cwd': os.getcwd(),
        'fd3_inheritable': os.get_inheritable(3),
        'sigint_ignored': signal.getsignal(signal.SIGINT) == signal.SIG_IGN,
        'modules': sorted(name for name in sys.modules if name.startswith('uwsgi_file_') or name == 'worker_probe'),
    })


@route('/stream-forever')
def stream_forever(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])

    def body():
        try:
            while True:
                yield b'tick\n'
        finally:
            EVENTS.append('closed stream-forever')
    return body()


@route('/write-forever')
def write_forever(environ, start_response):
    write = start_response('200 OK', [('Content-Type', 'text/plain')])
    try:
        while True:
            write(b'tick\n')
    except OSError as exc:
        EVENTS.append('write raised %s' % type(exc).__name__)
        raise


# -- breaking the rules on purpose --

@route('/raise-before-start', validate=False)
def raise_before_start(environ, start_response):
    raise ValueError('failed on purpose before start_response')


@route('/raise-before-body', validate=False)
def raise_before_body(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return recorded_generator('raise-before-body', [b'never'], fail_after=0)


@route('/raise-after-body', validate=False)
def raise_after_body(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return recorded_generator('raise-after-body', [b'first', b'second'], fail_after=1)


@route('/exc-info-after-head', validate=False)
def exc_info_after_head(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])

    def body():
        yield b'sent'
        try:
            raise KeyError('on purpose')
        except KeyError:
            try:
                start_response('500 Internal Server Error', [('Content-Type', 'text/plain')], sys.exc_info())
            except KeyError:
                EVENTS.append('exc_info re-raised KeyError')
                raise
        yield b'unreachable'
    return body()


@route('/start-twice', validate=False)
def start_twice(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    try:
        start_response('200 OK', [('Content-Type', 'text/plain')])
    except RuntimeError as exc:
        EVENTS.append('second call raised: %s' % exc)
        raise
    return [b'unreachable']


@route('/bad-start', validate=False)
def bad_start(environ, start_response):
    """Calls start_response with the status and headers in the JSON body; reports the exception."""
    spec = json.loads(environ['wsgi.input'].read().decode())
    headers = spec['headers']
    if isinstance(headers, list):
        headers = [tuple(h) if isinstance(h, list) else h for h in headers]
    if spec.get('bytes_name'):
        headers = [(b'X-Bytes', 'v')]
    try:
        start_response(spec['status'], headers)
    except (TypeError, ValueError) as exc:
        EVENTS.append('%s: %s' % (type(exc).__name__, exc))
        raise
    return [b'accepted']


@route('/str-chunk', validate=False)
def str_chunk(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return Recorded('str-chunk', ['text'])


@route('/bytes-result', validate=False)
def bytes_result(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return b'not wrapped in a list'


@route('/none-result', validate=False)
def none_result(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])


@route('/write-str', validate=False)
def write_str(environ, start_response):
    write = start_response('200 OK', [('Content-Type', 'text/plain')])
    write('text')
    return []


@route('/no-start', validate=False)
def no_start(environ, start_response):
    return Recorded('no-start', [b'body without a head'])


@route('/no-start-empty', validate=False)
def no_start_empty(environ, start_response):
    return Recorded('no-start-empty', [])


@route('/length-long', validate=False)
def length_long(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '5')])
    return Recorded('length-long', [b'0123', b'456789'])


@route('/length-short', validate=False)
def length_short(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '10')])
    return Recorded('length-short', [b'01234'])


@route('/close-raises', validate=False)
def close_raises(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return Recorded('close-raises', [b'body'], close_raises=True)


@route('/hop-by-hop', validate=False)
def hop_by_hop(environ, start_response):
    start_response('200 OK', [
        ('Content-Type', 'text/plain'), ('Keep-Alive', 'timeout=5'), ('Transfer-Encoding', 'chunked'),
        ('Upgrade', 'h2c'), ('TE', 'trailers'), ('Trailers', 'X'), ('Proxy-Authenticate', 'Basic'),
        ('Proxy-Authorization', 'x'), ('Connection', query(environ, 'connection', 'keep-alive'))])
    return [b'hop']
