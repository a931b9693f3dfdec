"""The write() callable returned by start_response.

/write_only        write(b'hello '), write(b'world'), returns []
/mixed             write(b'one,'), returns [b'two,', b'three']
/mixed_gen         write(b'one,'), returns a generator of b'two,' and b'three'
/write_empty       write(b''), returns [b'x']
/write_cl          declares Content-Length: 11, write(b'hello world'), returns []
/write_large?bytes=N   writes N bytes (bytes(range(256)) repeated) in 64 KiB calls, returns []
"""
from urllib.parse import parse_qs
from wsgiref.validate import validator

TEXT = [('Content-Type', 'text/plain')]


def app(environ, start_response):
    qs = parse_qs(environ.get('QUERY_STRING', ''), keep_blank_values=True)
    path = environ.get('PATH_INFO', '')
    if path == '/write_only':
        write = start_response('200 OK', list(TEXT))
        write(b'hello ')
        write(b'world')
        return []
    if path == '/mixed':
        write = start_response('200 OK', list(TEXT))
        write(b'one,')
        return [b'two,', b'three']
    if path == '/mixed_gen':
        write = start_response('200 OK', list(TEXT))
        write(b'one,')

        def gen():
            yield b'two,'
            yield b'three'
        return gen()
    if path == '/write_empty':
        write = start_response('200 OK', list(TEXT))
        write(b'')
        return [b'x']
    if path == '/write_cl':
        write = start_response('200 OK', TEXT + [('Content-Length', '11')])
        write(b'hello world')
        return []
    if path == '/write_large':
        total = int(qs.get('bytes', ['0'])[-1])
        write = start_response('200 OK', [('Content-Type', 'application/octet-stream')])
        block = bytes(range(256)) * 256
        sent = 0
        while sent < total:
            piece = block[:min(len(block), total - sent)]
            write(piece)
            sent += len(piece)
        return []
    start_response('404 Not Found', list(TEXT))
    return [b'unknown path\n']


application = validator(app)
