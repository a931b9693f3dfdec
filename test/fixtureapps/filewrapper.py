"""wsgi.file_wrapper over a real file and over an io.BytesIO.

/file?path=P&offset=O&blksize=B&cl=1&track=T
    a real file (io.FileIO, so it has a fileno()); with offset=O the file is positioned at O first
    (PEP 3333: transmission starts at the current position); with cl=1 a Content-Length is declared;
    with track=T the line 'file closed' is appended to the file T when the file object is closed.
/bytesio?size=N&cl=1
    N bytes of bytes(range(256)) repeated, in an io.BytesIO (no fileno()).
/missing   answers 'yes' or 'no': whether wsgi.file_wrapper is in the environ
"""
import io
import os
from urllib.parse import parse_qs
from wsgiref.validate import validator


class TrackedFile(io.FileIO):
    track = None

    def close(self):
        if not self.closed and self.track:
            with open(self.track, 'a') as f:
                f.write('file closed\n')
        super().close()


def app(environ, start_response):
    qs = parse_qs(environ.get('QUERY_STRING', ''), keep_blank_values=True)

    def opt(name, default=None):
        return qs.get(name, [default])[-1]

    path = environ.get('PATH_INFO', '')
    if path == '/missing':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'no' if 'wsgi.file_wrapper' not in environ else b'yes']
    wrapper = environ['wsgi.file_wrapper']
    blksize = int(opt('blksize', '8192'))
    if path == '/file':
        name = opt('path')
        offset = int(opt('offset', '0'))
        f = TrackedFile(name, 'rb')
        f.track = opt('track')
        f.seek(offset)
        headers = [('Content-Type', 'application/octet-stream')]
        if opt('cl'):
            headers.append(('Content-Length', str(os.path.getsize(name) - offset)))
        start_response('200 OK', headers)
        return wrapper(f, blksize)
    if path == '/bytesio':
        size = int(opt('size', '1000'))
        data = (bytes(range(256)) * (size // 256 + 1))[:size]
        headers = [('Content-Type', 'application/octet-stream')]
        if opt('cl'):
            headers.append(('Content-Length', str(size)))
        start_response('200 OK', headers)
        return wrapper(io.BytesIO(data), blksize)
    start_response('404 Not Found', [('Content-Type', 'text/plain')])
    return [b'unknown path\n']


application = validator(app)
