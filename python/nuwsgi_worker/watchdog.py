"""What the master cannot see of the uwsgi connections a worker serves itself: a request running
past harakiri, and what each core is doing (SIGUSR2).

The harakiri watchdog is a thread that looks at the cores once a second. A request that has run
for `harakiri` seconds gets its answer from the watchdog: a 504 when nothing of the response was
sent yet, else a reset of the connection (on TCP; a unix socket has none, so there the end of a
response without Content-Length looks like a whole one). The master hears of it in a HARAKIRI
frame, logs it and replaces the worker, as it does for the requests it sends over the channel. The app's own output
for that request is discarded from then on. The watchdog needs the GIL for an instant: an app that
holds it in C code for good is not interrupted, and nginx's uwsgi_read_timeout answers the client.
"""

import os
import signal
import socket
import struct
import sys
import threading
import time

from . import answers
from .channel import HARAKIRI
from .sockio import send_all
from .uwsgi_server import RESET_ON_CLOSE, encode_record, request_uri

# How long the watchdog waits for a response write in progress before it cuts the connection.
_GUARD_WAIT = 1.0
# HARAKIRI's head: the seconds the request ran, and whether the 504 went out (docs/channel.md).
_HARAKIRI = struct.Struct('<d?')


def start_harakiri_watchdog(server, pump, harakiri):
    thread = threading.Thread(target=_watch, args=(server, pump, harakiri), name='nuwsgi-harakiri', daemon=True)
    thread.start()


def _watch(server, pump, harakiri):
    while True:
        time.sleep(min(1.0, harakiri / 2))
        now = time.time()
        for core in server.cores:
            conn = core.connection
            if conn is not None and not conn.timed_out and now - core.started >= harakiri:
                _answer_for(core, conn, pump, now)


def _answer_for(core, conn, pump, now):
    """A 504 on the connection when nothing of the response went out yet, else a reset, so that
    nginx cannot take what was sent for a whole response; then the HARAKIRI frame."""
    environ = core.environ or {}
    got_guard = conn.guard.acquire(timeout=_GUARD_WAIT)
    try:
        conn.timed_out = True
        conn.cancelled = True
        answered = got_guard and not conn.wrote
        try:
            if answered:
                head = answers.head('harakiri')
                fields = ''.join('%s: %s\r\n' % (head[i], head[i + 1]) for i in range(1, len(head), 2))
                body = answers.body('harakiri')
                header_bytes = len(conn.protocol) + len(head[0]) + len(fields) + 5
                send_all(conn.sock, ('%s %s\r\n%s\r\n' % (conn.protocol, head[0], fields)).encode('latin-1') + body,
                         _GUARD_WAIT)
                conn.sock.shutdown(socket.SHUT_RDWR)
            else:
                # the close resets the connection: when the master kills this worker, or when
                # the app returns first and the connection is closed as a broken one
                conn.broken = True
                conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET_ON_CLOSE)
                conn.sock.shutdown(socket.SHUT_RD)
        except OSError:
            pass
    finally:
        if got_guard:
            conn.guard.release()
    if answered:
        record = encode_record(answers.status('harakiri'), len(body), len(head) // 2, header_bytes, core.var_count, core.var_bytes,
                               core.started, now, core.index, environ)
    else:
        record = encode_record(conn.status, conn.body_bytes, conn.header_count, conn.header_bytes,
                               core.var_count, core.var_bytes, core.started, now, core.index, environ)
    pump.send_now(HARAKIRI, 0, _HARAKIRI.pack(now - core.started, answered) + record)


def install_status_report(server, worker_id):
    """SIGUSR2 (the master passes it on): each core's uwsgi request, and since when, on stderr."""
    def report(_signum, _frame):
        now = time.time()
        lines = []
        for core in server.cores:
            environ = core.environ
            who = 'SIGUSR2: worker %d (pid: %d) core %d' % (worker_id, os.getpid(), core.index)
            if core.connection is None or environ is None:
                lines.append('%s: no uwsgi request\n' % who)
            else:
                lines.append('%s is managing request %s %s from %s since %s (%.3f s)\n' % (
                    who, environ.get('REQUEST_METHOD', ''), request_uri(environ), environ.get('REMOTE_ADDR', ''),
                    time.ctime(core.started), now - core.started))
        sys.stderr.write(''.join(lines))
        sys.stderr.flush()

    signal.signal(signal.SIGUSR2, report)
