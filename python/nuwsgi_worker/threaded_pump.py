"""The channel for a worker that runs several requests at once (threads > 1, or gevent).

It offers the interface of pump.Pump (send_frame, flush, send_now, poll, wait_until, next_request,
finish), so the request loop, wsgi.input and the response do not know which one they use:

- A reader thread owns the receive side of the socket. It dispatches every frame under one lock:
  a REQUEST joins `pending` and wakes one idle thread (`queued`); a frame addressed to a request
  updates its RequestState and wakes the threads waiting for body bytes or credit (`changed`).
- `wait_until(predicate)` waits on `changed` until the predicate holds; `poll()` has nothing to
  do, since frames are dispatched as they arrive.
- Sending is serialized by its own lock. Frames are collected and sent with one `sendmsg` when a
  thread flushes: before it waits, after each streamed chunk, and when it finishes a request, so
  that the frames other threads queued meanwhile leave in the same call.

In a worker that owns uwsgi sockets, each idle thread accepts: one idle thread at a time (the one
that holds `accepting`, as uWSGI serializes accept() among a worker's threads) waits in poll() for a
connection on those sockets and for the wake pipe, by which the reader thread tells it of a request
or STOP on the channel. It gives the role to the next idle thread, then serves what it got. So a
connection waits in the kernel's backlog, where any worker may take it, until a thread is free to
serve it. The role holder also sends the connections' REQUEST_DONE records that have waited
RECORD_DELAY (see pump.py).

In gevent mode the same code runs after `monkey.patch_all()`: the threads are greenlets, the locks
gevent's, the socket gevent's cooperative one, and poll() cooperative too.
"""

import os
import select
import threading
import time
import traceback
from collections import deque

from .channel import HEADER, REQUEST_DONE, ChannelError
from .pump import FLUSH_THRESHOLD, RECV_SIZE, channel_broken, master_gone, records_wait, send_buffers
from .routing import DELIVERED, PAUSED, QUEUED, RESUMED, STOPPING, route_frame


class ThreadedPump:
    def __init__(self, pump):
        """Takes the channel over from the single-threaded `pump` that read CONFIG (with whatever
        it has already decoded), and starts the reader thread. No REQUEST comes before READY, so
        `pump` holds none yet."""
        self.sock = pump.sock
        self.decoder = pump.decoder
        self.config = pump.config
        self.response_window = pump.response_window
        self.stopping = pump.stopping
        self.paused = pump.paused
        self.requests_served = pump.requests_served
        self.requests = {}
        self.pending = deque()
        lock = threading.Lock()
        self.queued = threading.Condition(lock)
        self.changed = threading.Condition(lock)
        # The uwsgi sockets (acceptor.Acceptor), the poller the accepting thread waits in, whether
        # a thread is accepting, and the pipe that wakes it.
        self.acceptor = None
        self._poller = None
        self.accepting = False
        self._wake_read = self._wake_write = -1
        self.send_lock = threading.Lock()
        self.out = []
        self.out_bytes = 0
        self.records = []
        self.records_since = 0.0
        self.reader = threading.Thread(target=self._read_forever, name='nuwsgi-channel-reader', daemon=True)
        self.reader.start()

    def send_frame(self, type_, id_, payload=b'', flags=0):
        with self.send_lock:
            self.out.append(HEADER.pack(type_, flags, 0, id_, len(payload)))
            if payload:
                self.out.append(payload)
                self.out_bytes += len(payload)
            full = self.out_bytes > FLUSH_THRESHOLD
        if full:
            self.flush()

    def send_record(self, payload):
        """Queues a REQUEST_DONE: it leaves with the next flush, at the latest after RECORD_DELAY."""
        with self.send_lock:
            first = not self.records
            if first:
                self.records_since = time.monotonic()
            self.records += (HEADER.pack(REQUEST_DONE, 0, 0, 0, len(payload)), payload)
        # The accepting thread may wait in poll() with no timeout, set before there was a record
        # to send: woken, it waits again until the record is due, and sends it then. Without this
        # the last records of a burst waited for the next connection.
        if first and self.accepting:
            os.write(self._wake_write, b'.')

    def flush(self):
        with self.send_lock:
            if self.records:
                self.out += self.records
                self.records.clear()
            if not self.out:
                return
            try:
                send_buffers(self.sock, self.out, self.out_bytes)
            except (BrokenPipeError, ConnectionResetError):
                master_gone()
            self.out.clear()
            self.out_bytes = 0

    def send_now(self, type_, id_, payload=b''):
        """Sends a frame at once, from any thread (the reloader's, the harakiri watchdog's)."""
        self.send_frame(type_, id_, payload)
        self.flush()

    def start_accepting(self, acceptor):
        """From now on idle threads accept on the uwsgi sockets of `acceptor`, one at a time."""
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        poller = select.poll()
        for fd in acceptor.fds + [self._wake_read]:
            poller.register(fd, select.POLLIN)
        self._poller = poller
        self.acceptor = acceptor

    def wait_until(self, predicate):
        """Waits until predicate() is true; the reader thread re-checks it after every frame."""
        self.flush()
        with self.changed:
            self.changed.wait_for(predicate)

    def poll(self):
        """Nothing to do: the reader thread dispatches frames as they arrive."""

    def next_request(self):
        """The next request to run (or connection to serve), or None once STOP arrived and no
        request is left."""
        if self.out:
            self.flush()
        while True:
            with self.queued:
                while True:
                    if self.pending:
                        return self.pending.popleft()
                    if self.stopping:
                        return None
                    if self.acceptor is not None and not self.accepting and not self.paused:
                        self.accepting = True
                        break
                    self.queued.wait()
            try:
                accepted = self._accept()
            finally:
                with self.queued:
                    self.accepting = False
                    self.queued.notify()
            if accepted is not None:
                return accepted

    def _accept(self):
        """Waits for a connection (or the wake pipe) and accepts it; None when there is none to serve."""
        wait = records_wait(self)
        events = self._poller.poll(None if wait is None else wait * 1000)
        if not events:
            self.flush()
            return None
        if any(fd == self._wake_read for fd, _events in events):
            try:
                os.read(self._wake_read, 4096)
            except BlockingIOError:
                pass
            return None
        return None if self.stopping else self.acceptor.accept()

    def finish(self, state):
        """Forgets a request once its terminal frame is queued, and sends that frame."""
        with self.changed:
            del self.requests[state.id]
            self.requests_served += 1
        self.flush()

    def connection_done(self):
        """A uwsgi connection was served; its REQUEST_DONE record leaves with the next flush, or
        now when the records have waited long enough."""
        with self.changed:
            self.requests_served += 1
        if records_wait(self) == 0.0:
            self.flush()

    def _read_forever(self):
        sock = self.sock
        decoder = self.decoder
        while True:
            try:
                data = sock.recv(RECV_SIZE)
            except ConnectionResetError:
                data = b''
            if not data:
                master_gone()
            try:
                frames = decoder.feed(data)
            except ChannelError as exc:
                channel_broken(exc)
            if frames:
                self._dispatch(frames)

    def _dispatch(self, frames):
        with self.changed:
            changed = wake = False
            for type_, flags, id_, payload in frames:
                what = route_frame(self, type_, flags, id_, payload)
                if what is QUEUED:
                    self.queued.notify()
                    wake = True
                elif what is STOPPING or what is PAUSED:
                    self.queued.notify_all()
                    wake = True
                elif what is RESUMED:
                    self.queued.notify_all()
                elif what is DELIVERED:
                    changed = True
            if changed:
                self.changed.notify_all()
            # the accepting thread waits in poll(), not on `queued`: a request or STOP must wake it
            if wake and self.accepting:
                os.write(self._wake_write, b'.')


def run_threads(worker, count):
    """Runs `worker.serve` in `count` threads until STOP, then returns. An exception that escapes
    the request loop (the app raised SystemExit, or a bug here) ends the whole process, as it
    does in the single-threaded worker."""
    def serve(core):
        try:
            worker.serve(core)
        except SystemExit as exc:
            os._exit(exc.code if isinstance(exc.code, int) else 1)
        except BaseException:
            traceback.print_exc()
            os._exit(1)

    threads = [threading.Thread(target=serve, args=(n,), name='nuwsgi-core-%d' % (n + 1)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
