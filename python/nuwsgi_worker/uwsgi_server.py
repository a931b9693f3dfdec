"""The uwsgi-protocol server of a worker: one accepted connection from head to close.

nginx opens a connection per request (`uwsgi_pass`): the head is read within socket-timeout and
mapped to the environ (uwsgi_protocol); a static file answers it when a static mount has one
(static_files), else limit-post and post-buffering apply, the app runs with wsgi.input reading the
socket, and the response goes back on it (uwsgi_connection); then the connection closes. The master
hears of the request afterwards, in a REQUEST_DONE record sent with the other frames
(docs/channel.md), and writes the log line. Bad input closes only its own connection, with a log
line naming the limit; nothing here takes the worker down.
"""

import io
import socket
import struct
import tempfile
import threading
import time
import traceback

from . import answers
from .peers import AddressList
from .response import Response
from .sockio import recv_some, recv_waiting
from .uwsgi_connection import UwsgiConnection, log
from .uwsgi_protocol import BadVars, UwsgiError, HEADER_SIZE, head_size, request_environ_counted, response_protocol
from .wsgi_input import WsgiInput

HTTP_ON_UWSGI = 'this looks like HTTP on a uwsgi socket: use http-socket or put nginx in front'
TLS_ON_UWSGI = 'this looks like TLS (HTTPS) on a uwsgi socket: put nginx in front to terminate TLS'
HEAD_RECV_SIZE = 16 * 1024
# SO_LINGER on, 0 seconds: closing the socket resets the connection.
RESET_ON_CLOSE = struct.pack('ii', 1, 0)
# What is read and discarded, at most, of a request the app did not read whole, so that closing
# does not reset a response still on its way.
DRAIN_LIMIT = 16 * 1024 * 1024


class Core:
    """What one core (thread, greenlet, or the worker itself) is serving: for harakiri and SIGUSR2."""
    __slots__ = ('index', 'guard', 'connection', 'environ', 'started', 'var_count', 'var_bytes')

    def __init__(self, index):
        self.index = index
        self.guard = threading.Lock()
        self.connection = None
        self.environ = None
        self.started = 0.0
        # the size of the request's head, for its log line
        self.var_count = 0
        self.var_bytes = 0


class SocketInput(WsgiInput):
    """wsgi.input of a uwsgi connection: the connection reads its socket when the app wants more.
    There is no credit to grant: the kernel's buffers are the window."""
    __slots__ = ()

    def _grant(self):
        pass


class _NoBody:
    """wsgi.input of a request without a body: every read is empty. It holds nothing, so one serves all."""
    __slots__ = ()

    def read(self, size=-1):
        return b''

    def readline(self, size=-1):
        return b''

    def readlines(self, hint=-1):
        return []

    def __iter__(self):
        return iter(())


NO_BODY = _NoBody()


class UwsgiServer:
    def __init__(self, worker, pump, options, cores, add_headers=(), static=None):
        """`add_headers`: add-header's (name, value, ...), for the heads of the responses; `static`:
        the static_files.StaticFiles that answers the requests under the static mounts (None
        without mounts)."""
        self.worker = worker
        self.pump = pump
        self.max_datasize = int(options['buffer_size'])
        self.timeout = float(options['socket_timeout'])
        self.limit_post = int(options['limit_post'])
        self.post_buffering = int(options['post_buffering'])
        # The strings of a request record are only for the master's request log line.
        self.log_requests = bool(options.get('log_requests', True))
        set_log_vars(options.get('log_vars', ()))
        self.log_x_forwarded_for = bool(options.get('log_x_forwarded_for', False))
        trusted = AddressList(options['trusted_proxies'])
        self.trusted = None if trusted.empty else trusted
        self.cores = [Core(index) for index in range(cores)]
        self.add_headers = tuple(add_headers)
        self.static = static
        # How connections are read: recv_waiting once the Acceptor waits in accept() (waits_in_kernel)
        self.recv = recv_some

    def waits_in_kernel(self):
        """The connections come from Acceptor.accept_waiting, with their SO_RCVTIMEO set."""
        self.recv = recv_waiting

    def serve(self, accepted, core_index):
        sock, peer, listener = accepted
        core = self.cores[core_index]
        started = time.time()
        conn = UwsgiConnection(sock, self.recv, self.timeout, peer, listener.label, core.guard, self.add_headers)
        try:
            self._serve(conn, core, started)
        except Exception:
            log('%s: internal error, connection closed:\n%s' % (conn.origin, traceback.format_exc().rstrip('\n')))
            conn.broken = True
        finally:
            core.connection = None
            core.environ = None
            self._close(conn)
            self.pump.connection_done()

    def _serve(self, conn, core, started):
        head = self._read_head(conn)
        if head is None:
            return
        data, size = head
        try:
            environ, length, sent, from_proxy = request_environ_counted(data, size, self.trusted)
        except UwsgiError as exc:
            self._refuse(conn, exc)
            return
        except BadVars as exc:
            log(answers.line('badRequest', conn.origin, exc))
            _answer(conn, 'badRequest')
            conn.body_left = DRAIN_LIMIT
            return
        if self.log_x_forwarded_for and from_proxy and 'HTTP_X_FORWARDED_FOR' in environ:
            conn.log_address = environ['HTTP_X_FORWARDED_FOR']
        # uWSGI counts keys and values, as sent, and the packet without its 4-byte header: "{24 vars in 331 bytes}"
        var_count = sent * 2
        size_logged = size - HEADER_SIZE
        conn.protocol = response_protocol(environ)
        conn.start_body(data[size:] if length else b'', length)
        # the master's order: static files first, then limit-post and the app. A file goes out
        # within socket-timeout per wait and runs no app code, so harakiri does not watch it.
        static = self.static
        if static is not None and static.serve(conn, environ):
            self._record(conn, environ, core, started, var_count, size_logged)
            return
        limit = self.limit_post
        if 0 < limit < length:
            log(answers.line('bodyTooLarge', '%s %s' % (environ.get('REQUEST_METHOD', ''), request_uri(environ)),
                             'request body of %d bytes exceeds limit-post (%d)' % (length, limit)))
            _answer(conn, 'bodyTooLarge', conn.protocol)
            self._record(conn, environ, core, started, var_count, size_logged)
            return
        worker = self.worker
        if not length:
            body = NO_BODY
        elif 0 < self.post_buffering:
            body = self._buffer_body(conn, length)
            if body is None:
                return
        else:
            body = SocketInput(conn, conn, worker.request_body_window)
        environ.update(worker.base_environ)
        environ['wsgi.input'] = body
        core.environ = environ
        core.started = started
        core.var_count = var_count
        core.var_bytes = size_logged
        core.connection = conn
        worker.run_app(environ, Response(conn, environ))
        if not conn.timed_out:
            self._record(conn, environ, core, started, var_count, size_logged)

    def _read_head(self, conn):
        """The bytes of the head and what came with it, and the head's size; None when the
        connection was refused or closed (logged)."""
        sock = conn.sock
        data = b''
        try:
            while True:
                chunk = conn.recv(sock, HEAD_RECV_SIZE, self.timeout)
                if not chunk:
                    if data:
                        log('%s: the connection closed before the request head was complete' % conn.origin)
                    return None
                data = data + chunk if data else chunk
                size = head_size(data, self.max_datasize)
                if size is not None and len(data) >= size:
                    return data, size
        except UwsgiError as exc:
            self._refuse(conn, exc)
        except socket.timeout:
            log('%s: no complete request head within %g s (socket-timeout): connection closed' % (conn.origin, self.timeout))
        except OSError:
            pass  # the peer reset the connection
        return None

    def _refuse(self, conn, error):
        origin = conn.origin
        code = error.code
        if code == 'LOOKS_LIKE_TLS':
            log('%s: %s' % (origin, TLS_ON_UWSGI))
            return
        if code == 'UNSUPPORTED_MODIFIER':
            log('%s: unsupported modifier1 %d (only 0, a WSGI request, is served); connection closed' % (origin, error.value))
            return
        if code == 'LOOKS_LIKE_HTTP':
            log('%s: %s' % (origin, HTTP_ON_UWSGI))
            _answer(conn, 'badRequest', text=HTTP_ON_UWSGI + '\n')
        elif code == 'HEAD_TOO_LARGE':
            log(answers.line('headTooLarge', origin, error) + ' (at most 65535 for the uwsgi protocol)')
            _answer(conn, 'headTooLarge')
        else:
            log(answers.line('badRequest', origin, 'invalid uwsgi request (%s)' % error))
            _answer(conn, 'badRequest')
        # what the peer still sends is read and discarded before the close, so that it reads the answer
        conn.body_left = DRAIN_LIMIT

    def _buffer_body(self, conn, length):
        """post-buffering: the whole body before the app runs, in memory up to post-buffering
        bytes, else in an unlinked temporary file. None when the body broke off (logged)."""
        if length <= self.post_buffering:
            store = io.BytesIO()
        else:
            store = tempfile.TemporaryFile(prefix='nuwsgi-body-%d-' % id(conn))
        while True:
            while conn.body_chunks:
                store.write(conn.body_chunks.popleft())
            if conn.body_ended:
                break
            conn.wait_until(lambda: conn.body_chunks or conn.body_ended)
        if conn.body_aborted:
            store.close()
            return None
        store.seek(0)
        return store

    def _record(self, conn, environ, core, started, var_count, var_bytes):
        """REQUEST_DONE: what the master's request log line and counters need (docs/channel.md)."""
        self.pump.send_record(encode_record(
            conn.status, conn.body_bytes, conn.header_count, conn.header_bytes, var_count, var_bytes,
            started, time.time(), core.index, environ if self.log_requests else _NOT_LOGGED, conn.log_address))

    def _close(self, conn):
        """Closes the connection: at once when the request was read whole (nginx sends nothing
        after it); after reading what the peer still sends otherwise, so that unread bytes do not
        turn the close into a reset that could destroy the response on its way. A response that
        cannot be complete is reset, so that nginx does not take it for a whole one."""
        sock = conn.sock
        try:
            if conn.broken:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET_ON_CLOSE)
            elif conn.body_left > 0 and not conn.cancelled:
                sock.shutdown(socket.SHUT_WR)
                left = min(conn.body_left, DRAIN_LIMIT)
                while left > 0:
                    chunk = conn.recv(sock, min(left, HEAD_RECV_SIZE), self.timeout)
                    if not chunk:
                        break
                    left -= len(chunk)
        except OSError:
            pass
        sock.close()


def _answer(conn, name, protocol='HTTP/1.0', text=None):
    """A whole answer from the master's table (answers.py), or with its own `text` as the body."""
    data = answers.body(name) if text is None else text.encode('latin-1')
    conn.protocol = protocol
    conn.answer_head(answers.head(name, len(data)))
    conn.body(data)
    conn.end()


# What a record says of a request whose log line is not written (disable-logging).
_NOT_LOGGED = {}
# REQUEST_DONE's numbers: status, core, header count, var count (u16); header bytes, var bytes
# (u32); body bytes, start (ms since the epoch), duration (us) (f64).
_RECORD = struct.Struct('<HHHHIIddd')


# The request vars the master's log-format reads (CONFIG's uwsgi.log_vars), in the order it expects them.
_log_vars = ()


def set_log_vars(names):
    global _log_vars
    _log_vars = tuple(names)


def _var(environ, name):
    value = environ.get(name, '')
    return value if isinstance(value, str) else ''


def encode_record(status, body_bytes, header_count, header_bytes, var_count, var_bytes, started, ended, core, environ,
                  address=None):
    """The payload of REQUEST_DONE (docs/channel.md): the numbers, then REMOTE_ADDR (or `address`),
    method, URI and protocol, NUL-separated latin-1; then, with log vars, a NUL and their values."""
    strings = '%s\0%s\0%s\0%s' % (
        environ.get('REMOTE_ADDR', '') if address is None else address, environ.get('REQUEST_METHOD', ''),
        request_uri(environ), environ.get('SERVER_PROTOCOL', ''))
    if _log_vars and environ:
        strings += '\0' + '\0'.join([_var(environ, name) for name in _log_vars])
    return _RECORD.pack(
        status, core, header_count, var_count, header_bytes, var_bytes, body_bytes, started * 1000,
        (ended - started) * 1_000_000,
    ) + strings.encode('latin-1', 'replace')


def request_uri(environ):
    uri = environ.get('REQUEST_URI')
    if uri is not None:
        return uri
    query = environ.get('QUERY_STRING', '')
    return environ.get('PATH_INFO', '') + ('?' + query if query else '')
