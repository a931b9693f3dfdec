"""The ceiling of Python workers that own the uwsgi socket, as uWSGI's C workers do: PROCESSES
forked workers accept nginx's connections themselves, read one uwsgi packet, call the WSGI app
with its vars as the environ, write the response and close. No Node, no channel, and none of a
server's checks: a yardstick for the benchmark, not a server.

    python3 uwsgi_accept_loop.py SOCKET APP_FILE PROCESSES
"""
import io
import os
import runpy
import signal
import socket
import struct
import sys

U16 = struct.Struct('<H').unpack_from
BASE_ENVIRON = {
    'wsgi.version': (1, 0), 'wsgi.errors': sys.stderr, 'wsgi.multithread': False,
    'wsgi.multiprocess': True, 'wsgi.run_once': False, 'wsgi.url_scheme': 'http',
}


def environ_of(packet):
    """The vars of a uwsgi packet (4-byte header, then u16-length-prefixed keys and values)."""
    environ = {}
    pos, end = 4, 4 + U16(packet, 1)[0]
    while pos < end:
        size = U16(packet, pos)[0]
        key = packet[pos + 2:pos + 2 + size].decode('latin-1')
        pos += 2 + size
        size = U16(packet, pos)[0]
        environ[key] = packet[pos + 2:pos + 2 + size].decode('latin-1')
        pos += 2 + size
    environ.update(BASE_ENVIRON)
    environ['wsgi.input'] = io.BytesIO(packet[end:])
    return environ


def read_packet(conn):
    """The vars block and what came with it; None if the peer closed first."""
    packet = conn.recv(65536)
    while len(packet) < 4 or len(packet) < 4 + U16(packet, 1)[0]:
        more = conn.recv(65536)
        if not more:
            return None
        packet += more
    return packet


def serve(listener, application):
    while True:
        conn, _ = listener.accept()
        try:
            packet = read_packet(conn)
            if packet is None:
                continue
            out = []

            def start_response(status, headers, exc_info=None):
                head = 'HTTP/1.1 %s\r\n%s\r\n' % (status, ''.join('%s: %s\r\n' % h for h in headers))
                out.append(head.encode('latin-1'))

            out.extend(application(environ_of(packet), start_response))
            conn.sendall(b''.join(out))
        except OSError:
            pass  # the peer went away
        finally:
            conn.close()


def main():
    path, app_file, processes = sys.argv[1], sys.argv[2], int(sys.argv[3])
    application = runpy.run_path(app_file)['application']
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1024)
    os.chmod(path, 0o666)
    workers = []
    for _ in range(processes):
        pid = os.fork()
        if pid == 0:
            serve(listener, application)
        workers.append(pid)
    # stopped by SIGTERM to this process, as the other contenders are: it passes it on
    signal.signal(signal.SIGTERM, lambda *_: [os.kill(pid, signal.SIGTERM) for pid in workers])
    for _ in workers:
        os.wait()


if __name__ == '__main__':
    main()
