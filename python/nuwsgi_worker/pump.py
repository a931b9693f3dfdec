"""The single owner of the channel socket.

Whoever needs input (the main loop waiting for a REQUEST, wsgi.input waiting for body bytes, a
response waiting for credit) calls `wait_until(predicate)`, which reads from the socket and
dispatches the frames until the predicate holds. Frames addressed to a request go to its
RequestState; new REQUESTs queue up in `pending`.

Outgoing frames are collected and sent with one `sendmsg` right before the worker blocks in `recv`,
when a caller asks for it (`flush`), or once they pass FLUSH_THRESHOLD bytes. The payloads go out as
they are, not joined into one copy first (unless they are small): a response body leaves the worker
from the app's bytes.

A worker that owns uwsgi sockets (`acceptor`) waits for the channel and those sockets at once, and
`next_request` also returns the connections it accepts. While connections keep coming it accepts
the next one at once, without waiting in poll(), and looks at the channel every CHANNEL_CHECK
seconds. The REQUEST_DONE records of those connections (`send_record`) wait up to RECORD_DELAY for
the next flush: so under load a request costs no system call on the channel, and the master wakes
up for a batch of records rather than for each.

The interface (send_frame, flush, send_now, poll, wait_until, next_request, finish,
connection_done) is all the rest of the worker uses; threaded_pump.ThreadedPump puts a reader thread
and condition variables behind it for workers that run several requests at once. This one stays the
fast path of a single-threaded worker.
"""

import os
import select
import socket
import sys
import threading
import time
from collections import deque

from .channel import HEADER, REQUEST_DONE, ChannelError, FrameDecoder
from .routing import route_frame

# CPython allocates the full size for every recv() and then shrinks it; sizes past glibc's mmap
# threshold (128 KiB) turn each call into an mmap/munmap pair, five times slower here.
RECV_SIZE = 64 * 1024
FLUSH_THRESHOLD = 256 * 1024
# The most buffers one sendmsg() takes, and below how many payload bytes a flush joins its frames.
IOV_MAX = os.sysconf('SC_IOV_MAX')
JOIN_LIMIT = 16 * 1024
CHANNEL_CHECK = 0.005
RECORD_DELAY = 0.02
# How long a worker that waits in accept() waits at a time before it looks at the channel.
ACCEPT_WAIT = 0.02


class Pump:
    def __init__(self, sock):
        self.sock = sock
        self.decoder = FrameDecoder()
        self.out = []
        self.out_bytes = 0
        # REQUEST_DONE frames not sent yet, and since when the oldest waits.
        self.records = []
        self.records_since = 0.0
        # The socket is written by this thread, and by the reloader thread's send_now.
        self.send_lock = threading.Lock()
        self.requests = {}
        self.pending = deque()
        self.stopping = False
        # PAUSE from the master: no connection is accepted on the uwsgi sockets until RESUME.
        self.paused = False
        # Requests answered so far: uwsgi.total_requests().
        self.requests_served = 0
        self.config = None
        # Set from CONFIG before READY: the initial response-body credit of every request.
        self.response_window = 0
        # The uwsgi sockets this worker accepts on (acceptor.Acceptor), set before READY; with
        # waits_in_accept, nothing else comes but the master's control frames (see acceptor.py).
        self.acceptor = None
        self.waits_in_accept = False
        self._poller = None
        self._next_check = 0.0

    def send_frame(self, type_, id_, payload=b'', flags=0):
        out = self.out
        out.append(HEADER.pack(type_, flags, 0, id_, len(payload)))
        if payload:
            out.append(payload)
            self.out_bytes += len(payload)
            if self.out_bytes > FLUSH_THRESHOLD:
                self.flush()

    def send_record(self, payload):
        """Queues a REQUEST_DONE: it leaves with the next flush, at the latest after RECORD_DELAY."""
        records = self.records
        if not records:
            self.records_since = time.monotonic()
        records.append(HEADER.pack(REQUEST_DONE, 0, 0, 0, len(payload)))
        records.append(payload)

    def flush(self):
        out = self.out
        if self.records:
            out += self.records
            self.records.clear()
        if out:
            with self.send_lock:
                try:
                    send_buffers(self.sock, out, self.out_bytes)
                except (BrokenPipeError, ConnectionResetError):
                    master_gone()
            out.clear()
            self.out_bytes = 0

    def send_now(self, type_, id_, payload=b''):
        """Sends a frame at once, from any thread (the reloader's, the harakiri watchdog's), between
        whole flushes."""
        with self.send_lock:
            try:
                self.sock.sendall(HEADER.pack(type_, 0, 0, id_, len(payload)) + payload)
            except (BrokenPipeError, ConnectionResetError):
                master_gone()

    def wait_until(self, predicate):
        """Reads and dispatches frames until predicate() is true."""
        while not predicate():
            self.flush()
            self._receive(0)

    def poll(self):
        """Dispatches the frames already waiting, without blocking. A streaming response calls it
        after each chunk, so that it sees a CANCEL while it still has credit."""
        self._receive(socket.MSG_DONTWAIT)

    def next_request(self):
        """The next request to run, or None once STOP arrived and no request is left."""
        pending = self.pending
        if self.acceptor is not None:
            return pending.popleft() if pending else self._next_request_or_connection()
        if not pending:
            # The master pipelines: more requests may already be waiting. Take them without
            # blocking, so that the responses queued so far leave with the next ones in one flush.
            self._receive(socket.MSG_DONTWAIT)
            while not pending:
                if self.stopping:
                    return None
                self.flush()
                self._receive(0)
        return pending.popleft()

    def _next_request_or_connection(self):
        pending = self.pending
        if self.out:
            self.flush()
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + CHANNEL_CHECK
            self._receive(socket.MSG_DONTWAIT)
            if records_wait(self) == 0.0:
                self.flush()
        while not pending:
            if self.stopping:
                return None
            if self.paused:
                self.flush()
                self._receive(0)
                continue
            if self.waits_in_accept:
                accepted = self.acceptor.accept_waiting()
                if accepted is not None:
                    return accepted
                self._receive(socket.MSG_DONTWAIT)
                if self.out or records_wait(self) == 0.0:
                    self.flush()
                continue
            accepted = self.acceptor.accept()
            if accepted is not None:
                return accepted
            if self.out:
                self.flush()
            if self._channel_ready():
                self._receive(socket.MSG_DONTWAIT)
        return pending.popleft()

    def _channel_ready(self):
        """Waits for the channel or a uwsgi socket; True when the channel has something. Records
        that have waited RECORD_DELAY are sent meanwhile."""
        poller = self._poller
        if poller is None:
            poller = self._poller = select.poll()
            poller.register(self.sock.fileno(), select.POLLIN)
            for fd in self.acceptor.fds:
                poller.register(fd, select.POLLIN)
        channel = self.sock.fileno()
        while True:
            wait = records_wait(self)
            events = poller.poll(None if wait is None else wait * 1000)
            if events:
                return any(fd == channel for fd, _events in events)
            self.flush()

    def finish(self, state):
        """Forgets a request once its terminal frame is queued: later frames for it are ignored."""
        del self.requests[state.id]
        self.requests_served += 1

    def connection_done(self):
        """A uwsgi connection was served (its REQUEST_DONE record, if any, is queued)."""
        self.requests_served += 1

    def _receive(self, recv_flags):
        try:
            data = self.sock.recv(RECV_SIZE, recv_flags)
        except BlockingIOError:
            return
        except ConnectionResetError:
            data = b''
        if not data:
            master_gone()
        try:
            frames = self.decoder.feed(data)
            for type_, flags, id_, payload in frames:
                route_frame(self, type_, flags, id_, payload)
        except ChannelError as exc:
            channel_broken(exc)


def send_buffers(sock, buffers, payload_bytes):
    """Sends every byte of `buffers` (bytes-like objects, frame headers and payloads), in order.
    Frames whose payloads come to fewer than JOIN_LIMIT bytes are joined into one buffer, which costs
    less than handing sendmsg() each of them; larger ones go as they are, with one sendmsg() for up
    to IOV_MAX buffers at a time. Entries of `buffers` may be replaced by what was left of them."""
    if payload_bytes < JOIN_LIMIT:
        sock.sendall(b''.join(buffers))
        return
    start = 0
    while start < len(buffers):
        sent = sock.sendmsg(buffers[start:start + IOV_MAX])
        while sent:
            size = len(buffers[start])
            if sent < size:
                buffers[start] = memoryview(buffers[start])[sent:]
                break
            sent -= size
            start += 1


def records_wait(pump):
    """Seconds until the oldest REQUEST_DONE record `pump` holds is due to leave (0.0: now), or None
    when it holds none."""
    if not pump.records:
        return None
    return max(0.0, pump.records_since + RECORD_DELAY - time.monotonic())


def master_gone():
    """EOF on the channel: the master is gone, and nobody is left to answer. Exit at once."""
    os._exit(0)


def channel_broken(exc):
    sys.stderr.write('nuwsgi worker %d: invalid frame from the master (%s), exiting\n' % (os.getpid(), exc))
    sys.stderr.flush()
    os._exit(1)
