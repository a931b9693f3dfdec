"""wsgi.file_wrapper over file objects that count their read() calls, to tell whether the server
sent the file with os.sendfile() (it then never reads the file itself) or by iterating the wrapper.

Not wrapped in wsgiref.validate by default: the validator hands the server its own iterator instead
of the FileWrapper, so no server could use sendfile() through it. ?validate=1 wraps this request in
it, which makes the server iterate: the control case for the counter.

/file?path=P&id=ID&cl=N&blksize=B&validate=1
    the file P in a CountingFile (an io.FileIO); cl=N declares a Content-Length of N bytes
    (cl=full: the file's size); when the file is closed the log gets
    'sendfile_probe ID closed: R read() calls, K bytes read'.
/bytesio?size=N&id=ID&cl=1&blksize=B
    N bytes of bytes(range(256)) repeated in a CountingBytesIO (no fileno(): it is iterated),
    logged the same way when closed.
"""
import io
import os
import sys
from urllib.parse import parse_qs
from wsgiref.validate import validator


def _report(ident, reads, read_bytes):
    sys.stderr.write('sendfile_probe %s closed: %d read() calls, %d bytes read\n' % (ident, reads, read_bytes))
    sys.stderr.flush()


class _CountingReads:
    """Counts the read() calls and bytes of the file class it is mixed into, and logs them on close."""
    ident = ''
    reads = 0
    read_bytes = 0

    def _count(self, n):
        self.reads += 1
        self.read_bytes += n or 0

    def read(self, size=-1):
        data = super().read(size)
        self._count(len(data or b''))
        return data

    def close(self):
        if not self.closed:
            _report(self.ident, self.reads, self.read_bytes)
        super().close()


class CountingFile(_CountingReads, io.FileIO):
    ident = 'file'

    def readinto(self, buffer):
        n = super().readinto(buffer)
        self._count(n)
        return n

    def readall(self):
        data = super().readall()
        self._count(len(data))
        return data


class CountingBytesIO(_CountingReads, io.BytesIO):
    ident = 'bytesio'


def app(environ, start_response):
    qs = parse_qs(environ.get('QUERY_STRING', ''), keep_blank_values=True)

    def opt(name, default=None):
        return qs.get(name, [default])[-1]

    path = environ.get('PATH_INFO', '')
    wrapper = environ['wsgi.file_wrapper']
    blksize = int(opt('blksize', '8192'))
    headers = [('Content-Type', 'application/octet-stream')]
    if path == '/file':
        name = opt('path')
        f = CountingFile(name, 'rb')
        f.ident = opt('id', 'file')
        cl = opt('cl')
        if cl:
            headers.append(('Content-Length', str(os.path.getsize(name) if cl == 'full' else int(cl))))
        start_response('200 OK', headers)
        return wrapper(f, blksize)
    if path == '/bytesio':
        size = int(opt('size', '1000'))
        f = CountingBytesIO((bytes(range(256)) * (size // 256 + 1))[:size])
        f.ident = opt('id', 'bytesio')
        if opt('cl'):
            headers.append(('Content-Length', str(size)))
        start_response('200 OK', headers)
        return wrapper(f, blksize)
    start_response('404 Not Found', [('Content-Type', 'text/plain')])
    return [b'unknown path\n']


validated = validator(app)


def application(environ, start_response):
    if 'validate=1' in environ.get('QUERY_STRING', '').split('&'):
        return validated(environ, start_response)
    return app(environ, start_response)
