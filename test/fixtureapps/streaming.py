"""Streamed responses.

/chunks?n=N&size=S&sleep=MS&cl=1   N chunks of S bytes; chunk i is the letter chr(97 + i % 26)
                                    repeated S times; MS milliseconds between chunks; with cl=1 a
                                    Content-Length is declared, otherwise none.
/download?bytes=N&cl=1              N bytes made of 64 KiB blocks: block k is k as 8 bytes big-endian
                                    followed by bytes(range(256)) * 256 from offset 8 on; the last
                                    block is cut short. Generated lazily: the app never holds more
                                    than one block.
/handshake?flag=PATH                yields b'first;', then waits (at most 10 s) for the file PATH to
                                    exist and yields b'second' (or b'timeout'). A test creates PATH
                                    only after it received b'first;', so this proves a streamed chunk
                                    is not held back by the server.
"""
import os
import time
from urllib.parse import parse_qs
from wsgiref.validate import validator

BLOCK = bytes(range(256)) * 256


def app(environ, start_response):
    qs = parse_qs(environ.get('QUERY_STRING', ''), keep_blank_values=True)

    def opt(name, default=None):
        return qs.get(name, [default])[-1]

    path = environ.get('PATH_INFO', '')
    if path == '/chunks':
        n = int(opt('n', '3'))
        size = int(opt('size', '10'))
        pause = float(opt('sleep', '0')) / 1000.0
        headers = [('Content-Type', 'application/octet-stream')]
        if opt('cl'):
            headers.append(('Content-Length', str(n * size)))
        start_response('200 OK', headers)

        def chunks():
            for i in range(n):
                if pause and i:
                    time.sleep(pause)
                yield bytes([97 + i % 26]) * size
        return chunks()

    if path == '/download':
        total = int(opt('bytes', '0'))
        headers = [('Content-Type', 'application/octet-stream')]
        if opt('cl'):
            headers.append(('Content-Length', str(total)))
        start_response('200 OK', headers)

        def blocks():
            sent = 0
            k = 0
            while sent < total:
                block = (k.to_bytes(8, 'big') + BLOCK[8:])[:total - sent]
                sent += len(block)
                k += 1
                yield block
        return blocks()

    if path == '/handshake':
        flag = opt('flag')
        start_response('200 OK', [('Content-Type', 'text/plain')])

        def handshake():
            yield b'first;'
            deadline = time.monotonic() + 10
            while not os.path.exists(flag) and time.monotonic() < deadline:
                time.sleep(0.02)
            yield b'second' if os.path.exists(flag) else b'timeout'
        return handshake()

    start_response('404 Not Found', [('Content-Type', 'text/plain')])
    return [b'unknown path\n']


application = validator(app)
