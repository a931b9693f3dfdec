"""Apps that fail in every way PEP 3333 allows (and some it does not).

/before            raises before start_response
/after_start       calls start_response, then raises before returning (no body yet)
/first_next        returns a generator that raises on its first next()
/midstream         yields b'first chunk;' (no Content-Length), then raises
/midstream_cl      declares Content-Length: 1000, yields 12 bytes, then raises
/exc_info_before   start_response 200, then start_response('500 ...', exc_info) before any body: the
                   second call replaces the first; answers b'the app handled it'
/exc_info_after    yields b'partial;', then calls start_response with exc_info: that must re-raise,
                   so b'must never be sent' must never reach the client
/bad_status        a status with CR LF and a header after it (the validator lets this one through)
/bad_header        a header value with CR LF (the validator itself rejects it)
/bad_header_name   a header name with a space and a colon
/non_latin1        a header value that latin-1 cannot encode
/ok                a normal answer

Every exception message contains 'nuwsgi-test-marker' so a test can find the traceback.
`application` is wrapped in wsgiref's validator; `unvalidated_application` is the same app without
it, so that the server's own checks of start_response can be tested (`--callable`).
"""
import sys
from wsgiref.validate import validator

TEXT = [('Content-Type', 'text/plain')]


def app(environ, start_response):
    path = environ.get('PATH_INFO', '')
    if path == '/before':
        raise RuntimeError('nuwsgi-test-marker: raised before start_response')
    if path == '/after_start':
        start_response('200 OK', list(TEXT))
        raise RuntimeError('nuwsgi-test-marker: raised after start_response')
    if path == '/first_next':
        start_response('200 OK', list(TEXT))

        def gen():
            raise RuntimeError('nuwsgi-test-marker: raised in the first next()')
            yield b'never'  # noqa: unreachable, makes this a generator
        return gen()
    if path == '/midstream':
        start_response('200 OK', list(TEXT))

        def gen():
            yield b'first chunk;'
            raise RuntimeError('nuwsgi-test-marker: raised after the first chunk')
        return gen()
    if path == '/midstream_cl':
        start_response('200 OK', TEXT + [('Content-Length', '1000')])

        def gen():
            yield b'first chunk;'
            raise RuntimeError('nuwsgi-test-marker: raised after the first chunk (with Content-Length)')
        return gen()
    if path == '/exc_info_before':
        start_response('200 OK', TEXT + [('X-Discarded', 'yes')])
        try:
            raise ValueError('nuwsgi-test-marker: handled by the app')
        except ValueError:
            start_response('500 Internal Server Error', TEXT + [('X-Handled', 'yes')], sys.exc_info())
        return [b'the app handled it']
    if path == '/exc_info_after':
        start_response('200 OK', list(TEXT))

        def gen():
            yield b'partial;'
            try:
                raise ValueError('nuwsgi-test-marker: exc_info after the head was sent')
            except ValueError:
                start_response('500 Internal Server Error', list(TEXT), sys.exc_info())
            yield b'must never be sent'
        return gen()
    if path == '/bad_status':
        start_response('200 OK\r\nX-Injected: yes', list(TEXT))
        return [b'must never be sent']
    if path == '/bad_header':
        start_response('200 OK', TEXT + [('X-Bad', 'a\r\nX-Injected: yes')])
        return [b'must never be sent']
    if path == '/bad_header_name':
        start_response('200 OK', TEXT + [('X-Injected: yes\r\nX-Bad', 'a')])
        return [b'must never be sent']
    if path == '/non_latin1':
        start_response('200 OK', TEXT + [('X-Euro', '\u20ac')])
        return [b'must never be sent']
    start_response('200 OK', list(TEXT))
    return [b'ok']


unvalidated_application = app
application = validator(app)
