"""Response iterables of every shape PEP 3333 allows.

/list          [b'hello ', b'', b'world']
/gen           a generator of b'a', b'', b'b', b'c'
/empty_list    []
/empty_gen     a generator that yields nothing
/only_empty    [b'', b'']
/iterable      an object with __iter__ (not itself an iterator) and close()
/large_single  one 3 MiB bytes object (bytes(range(256)) repeated)
/latin1        header X-Latin1: 'caf\\xe9' (must reach the wire as the byte 0xE9)
/status        status '299 Custom Reason Phrase'
/no_content    204 with no headers and no body
/not_modified  304 with no body
"""
from wsgiref.validate import validator

TEXT = [('Content-Type', 'text/plain')]


class Iterable:
    def __iter__(self):
        return iter([b'it', b'er', b'able'])

    def close(self):
        pass


def app(environ, start_response):
    path = environ.get('PATH_INFO', '')
    if path == '/list':
        start_response('200 OK', list(TEXT))
        return [b'hello ', b'', b'world']
    if path == '/gen':
        start_response('200 OK', list(TEXT))

        def gen():
            yield b'a'
            yield b''
            yield b'b'
            yield b'c'
        return gen()
    if path == '/empty_list':
        start_response('200 OK', list(TEXT))
        return []
    if path == '/empty_gen':
        start_response('200 OK', list(TEXT))

        def gen():
            return
            yield b''  # noqa: unreachable, makes this a generator
        return gen()
    if path == '/only_empty':
        start_response('200 OK', list(TEXT))
        return [b'', b'']
    if path == '/iterable':
        start_response('200 OK', list(TEXT))
        return Iterable()
    if path == '/large_single':
        start_response('200 OK', [('Content-Type', 'application/octet-stream')])
        return [bytes(range(256)) * (3 * 4096)]
    if path == '/latin1':
        start_response('200 OK', TEXT + [('X-Latin1', 'caf\xe9')])
        return [b'latin1']
    if path == '/status':
        start_response('299 Custom Reason Phrase', list(TEXT))
        return [b'custom']
    if path == '/no_content':
        start_response('204 No Content', [])
        return []
    if path == '/not_modified':
        start_response('304 Not Modified', [('ETag', '"x"')])
        return []
    start_response('404 Not Found', list(TEXT))
    return [b'unknown path\n']


application = validator(app)
