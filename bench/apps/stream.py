"""A 100 KiB response streamed by a generator, 4 KiB at a time, with its Content-Length."""

CHUNK = b'x' * 4096
CHUNKS = 25


def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'application/octet-stream'), ('Content-Length', str(len(CHUNK) * CHUNKS))])
    for _ in range(CHUNKS):
        yield CHUNK
