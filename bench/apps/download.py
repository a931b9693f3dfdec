"""A large file through wsgi.file_wrapper, and a tiny answer to tell when the worker is free again.

/file   the file named by the environment variable NUWSGI_BENCH_DOWNLOAD, as
        environ['wsgi.file_wrapper'](open(FILE, 'rb')), with its Content-Length
/       hello world, 13 bytes of text/plain (any other path too)
"""
import os

FILE = os.environ.get('NUWSGI_BENCH_DOWNLOAD', '')


def application(environ, start_response):
    if environ.get('PATH_INFO') == '/file':
        f = open(FILE, 'rb')
        size = os.fstat(f.fileno()).st_size
        start_response('200 OK', [('Content-Type', 'application/octet-stream'), ('Content-Length', str(size))])
        return environ['wsgi.file_wrapper'](f)
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '13')])
    return [b'Hello, World!']
