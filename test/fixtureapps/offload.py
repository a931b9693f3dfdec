"""wsgi.file_wrapper responses for the master's offload of file bodies (test/offload.test.ts).

Every request goes through wsgiref.validate (environ, start_response, headers, the result). The
validator hands the server its own iterator in place of the app's result, which would hide the
FileWrapper from the server (it could then only iterate it): so a FileWrapper result is given to
the server as it is, out of the validator's wrapper, which is marked closed (the server closes the
FileWrapper itself). /validated/... keeps the validator's iterator: the server iterates it.

/file?path=P&offset=O&length=L&id=ID
    the file P, opened with open(P, 'rb'), positioned at O (default 0); Content-Length L when given,
    else the rest of the file with cl=1, else none. When the file is closed the log gets
    'offload_app ID closed'.
/unlinked?path=P&id=ID
    opens P, unlinks it, and sends it whole (with its Content-Length).
/bytesio?size=N
    N bytes of bytes(range(256)) repeated, in an io.BytesIO (no descriptor: iterated).
/hello
    'hello from PID'.
/validated/<any of the above>
    the same, with the validator's iterator in place of the FileWrapper.
"""
import io
import os
import sys
from urllib.parse import parse_qs
from wsgiref.validate import validator


class TrackedFile(io.BufferedReader):
    ident = None

    def close(self):
        if not self.closed and self.ident:
            sys.stderr.write('offload_app %s closed\n' % self.ident)
            sys.stderr.flush()
        super().close()


def open_tracked(path, ident):
    f = TrackedFile(io.FileIO(path, 'rb'))
    f.ident = ident
    return f


def app(environ, start_response):
    qs = parse_qs(environ.get('QUERY_STRING', ''), keep_blank_values=True)

    def opt(name, default=None):
        return qs.get(name, [default])[-1]

    path = environ.get('PATH_INFO', '')
    if path.startswith('/validated/'):
        path = path[len('/validated'):]
    headers = [('Content-Type', 'application/octet-stream')]
    wrapper = environ['wsgi.file_wrapper']
    if path == '/file':
        name = opt('path')
        offset = int(opt('offset', '0'))
        f = open_tracked(name, opt('id'))
        f.seek(offset)
        if opt('length') is not None:
            headers.append(('Content-Length', opt('length')))
        elif opt('cl'):
            headers.append(('Content-Length', str(os.path.getsize(name) - offset)))
        start_response('200 OK', headers)
        return wrapper(f, 65536)
    if path == '/unlinked':
        name = opt('path')
        f = open_tracked(name, opt('id'))
        os.unlink(name)
        headers.append(('Content-Length', str(os.fstat(f.fileno()).st_size)))
        start_response('200 OK', headers)
        return wrapper(f, 65536)
    if path == '/bytesio':
        size = int(opt('size', '1000'))
        data = (bytes(range(256)) * (size // 256 + 1))[:size]
        headers.append(('Content-Length', str(size)))
        start_response('200 OK', headers)
        return wrapper(io.BytesIO(data), 8192)
    if path == '/hello':
        body = ('hello from %d' % os.getpid()).encode()
        start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
        return [body]
    start_response('404 Not Found', [('Content-Type', 'text/plain')])
    return [b'unknown path\n']


validated = validator(app)


def application(environ, start_response):
    result = validated(environ, start_response)
    inner = result.original_iterator
    if type(inner) is environ['wsgi.file_wrapper'] and not environ.get('PATH_INFO', '').startswith('/validated/'):
        result.closed = True
        return inner
    return result
