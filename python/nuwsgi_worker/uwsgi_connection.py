"""One uwsgi connection the worker accepted: the request body as wsgi.input reads it, and the
response as it goes back, a raw HTTP response whose end is the end of the connection.

It plays, for a request that did not come over the channel, the two parts a RequestState and a
ChannelSink play for one that did: wsgi_input.WsgiInput reads `body_chunks`, `body_ended`,
`body_aborted` and `cancelled` and calls `wait_until`, which reads the socket (never past
CONTENT_LENGTH, each wait at most socket-timeout); response.Response writes through the sink methods.
The head and the body of a response that is not streamed leave in one write.

add-header's fields follow the head of every response but the answers of the master's table, as
the master's HTTP listeners add them: the app's (head), a static file's (file_head), not an
answer's (answer_head).
"""

import socket
import sys
from collections import deque

from .sockio import send_all, send_file

RECV_SIZE = 64 * 1024
# A response's pieces are held until a streamed chunk, the end, or this many bytes.
SEND_THRESHOLD = 64 * 1024


class UwsgiConnection:
    __slots__ = (
        'sock', 'recv', 'protocol', 'timeout', 'peer', 'label', 'guard', 'add_headers',
        'body_chunks', 'body_ended', 'body_aborted', 'body_left', 'body_length',
        'cancelled', 'timed_out', 'status', 'wrote', 'body_bytes', 'header_count', 'header_bytes', 'broken',
        '_pending', '_pending_bytes', 'log_address',
    )
    # What WsgiInput reads of a RequestState that a connection does not have.
    id = 0
    expect_continue = False

    def __init__(self, sock, recv, timeout, peer, label, guard, add_headers=()):
        self.sock = sock
        # sockio.recv_some, or recv_waiting for a socket that waits in the kernel
        self.recv = recv
        self.timeout = timeout
        # The peer's address ('' on a unix socket) and the socket's, for log lines.
        self.peer = peer
        self.label = label
        # Held while the response is written: the harakiri watchdog takes it to answer 504 instead.
        self.guard = guard
        # add-header: a flat (name, value, ...) tuple
        self.add_headers = add_headers
        self.protocol = 'HTTP/1.0'
        # log-x-forwarded-for: a trusted proxy's X-Forwarded-For, the address of the request log line
        self.log_address = None
        self.body_chunks = None
        self.body_ended = True
        self.body_aborted = False
        self.body_left = 0
        self.body_length = 0
        # The client is gone, or the request broke off: what the app still writes is discarded.
        self.cancelled = False
        # The harakiri watchdog answered for the app.
        self.timed_out = False
        self.status = 0
        # Some of the response went to the peer.
        self.wrote = False
        self.body_bytes = 0
        self.header_count = 0
        self.header_bytes = 0
        # The response cannot be complete: the connection is reset rather than closed.
        self.broken = False
        self._pending = []
        self._pending_bytes = 0

    @property
    def origin(self):
        """`request from 127.0.0.1 on 127.0.0.1:3031`, `request on /run/app.sock`: how log lines name it."""
        if self.peer:
            return 'request from %s on %s' % (self.peer, self.label)
        return 'request on %s' % self.label

    # --- the request body ---------------------------------------------------------------------

    def start_body(self, rest, length):
        """The body is `length` bytes; `rest` came with the head (nothing past the body is kept)."""
        self.body_length = length
        if length == 0:
            return
        self.body_ended = False
        self.body_chunks = deque()
        if rest:
            self.body_chunks.append(rest[:length])
        self.body_left = length - min(len(rest), length)
        if self.body_left == 0:
            self.body_ended = True

    def wait_until(self, predicate):
        """Reads more of the body until predicate() holds (what wsgi.input waits for)."""
        while not predicate():
            self._receive_body()

    def _receive_body(self):
        got = self.body_length - self.body_left
        try:
            data = self.recv(self.sock, min(self.body_left, RECV_SIZE), self.timeout)
        except socket.timeout:
            self._body_broke('nothing more of the body within %g s (socket-timeout) after %d of %d bytes: connection closed'
                             % (self.timeout, got, self.body_length))
            return
        except OSError:
            data = b''
        if not data:
            self._body_broke('the connection closed after %d of the %d bytes of the body' % (got, self.body_length))
            return
        self.body_chunks.append(data)
        self.body_left -= len(data)
        if self.body_left == 0:
            self.body_ended = True

    def _body_broke(self, why):
        log('%s: %s' % (self.origin, why))
        self.body_ended = True
        self.body_aborted = True
        self.cancelled = True

    # --- the response (the sink response.Response writes to) ------------------------------------

    def head(self, fields):
        """The app's head (or the 500 of an app that failed before it), with add-header's fields."""
        add = self.add_headers
        self._set_head(_cached_head((self.protocol, *fields, *add) if add else (self.protocol, *fields)))

    def answer_head(self, fields):
        """The head of an answer from the master's table: without add-header's fields."""
        self._set_head(_cached_head((self.protocol, *fields)))

    def file_head(self, fields):
        """A static file's head, with add-header's fields; not cached (its ETag, dates and lengths
        are the file's)."""
        self._set_head(_encode_head((self.protocol, *fields, *self.add_headers)))

    def _set_head(self, head):
        encoded, self.status, self.header_count, self.header_bytes = head
        self._hold(encoded)

    def body(self, data):
        self.body_bytes += len(data)
        self._hold(data)
        if self._pending_bytes >= SEND_THRESHOLD:
            self._send()

    def streamed(self):
        self._send()

    def end(self):
        self._send()

    def abort(self, reason):
        self._send()
        self.broken = True

    def sendfile(self, fd, offset, count):
        self._send()
        with self.guard:
            if self.cancelled:
                return 0
            self.wrote = True
            sent, failed = send_file(self.sock, fd, offset, count, self.timeout)
        if failed:
            self.cancelled = True
        self.body_bytes += sent
        return sent

    def _hold(self, data):
        self._pending.append(data)
        self._pending_bytes += len(data)

    def _send(self):
        pending = self._pending
        if not pending:
            return
        data = pending[0] if len(pending) == 1 else b''.join(pending)
        pending.clear()
        self._pending_bytes = 0
        with self.guard:
            if self.cancelled:
                return
            self.wrote = True
            try:
                send_all(self.sock, data, self.timeout)
            except OSError:
                # socket.timeout included: nginx stopped reading. The app's next write() raises.
                self.cancelled = True


# Apps send the same few heads again and again: each is encoded once. Cleared when it gets big.
_heads = {}
_HEADS_MAX = 1000


def _cached_head(key):
    head = _heads.get(key)
    if head is None:
        head = _encode_head(key)
        if len(_heads) >= _HEADS_MAX:
            _heads.clear()
        _heads[key] = head
    return head


def _encode_head(key):
    """(the bytes of the status line and headers, the status, the header count, their size as
    uWSGI counts it: the whole head, status line and blank line included) for key = (protocol,
    status, name, value, name, value...)."""
    protocol, status = key[0], key[1]
    lines = [protocol + ' ' + status]
    size = len(lines[0]) + 4
    for i in range(2, len(key), 2):
        line = key[i] + ': ' + key[i + 1]
        size += len(line) + 2
        lines.append(line)
    lines.append('\r\n')
    return '\r\n'.join(lines).encode('latin-1'), int(status[:3]), (len(key) - 2) >> 1, size


def log(line):
    sys.stderr.write(line + '\n')
    sys.stderr.flush()
