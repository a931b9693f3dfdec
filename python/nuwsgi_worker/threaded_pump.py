"""The channel for a worker that runs several requests at once (threads > 1, or gevent).

It offers the interface of pump.Pump (send_frame, flush, send_now, poll, wait_until, next_request,
finish), so the request loop, wsgi.input and the response do not know which one they use:

- A reader thread owns the receive side of the socket. It dispatches every frame under one lock:
  a REQUEST joins `pending` and wakes one idle thread (`queued`); a frame addressed to a request
  updates its RequestState and wakes the threads waiting for body bytes or credit (`changed`).
- `wait_until(predicate)` waits on `changed` until the predicate holds; `poll()` has nothing to
  do, since frames are dispatched as they arrive.
- Sending is serialized by its own lock. Frames are collected and sent with one `sendall` when a
  thread flushes: before it waits, after each streamed chunk, and when it finishes a request, so
  that the frames other threads queued meanwhile leave in the same call.

In gevent mode the same code runs after `monkey.patch_all()`: the threads are greenlets, the locks
gevent's, and the socket gevent's cooperative one.
"""

import os
import threading
import traceback
from collections import deque

from .channel import HEADER, ChannelError
from .pump import FLUSH_THRESHOLD, RECV_SIZE, channel_broken, master_gone
from .routing import DELIVERED, QUEUED, STOPPING, route_frame


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
        self.requests_served = pump.requests_served
        self.requests = {}
        self.pending = deque()
        lock = threading.Lock()
        self.queued = threading.Condition(lock)
        self.changed = threading.Condition(lock)
        self.send_lock = threading.Lock()
        self.out = []
        self.out_bytes = 0
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

    def flush(self):
        with self.send_lock:
            if not self.out:
                return
            data = b''.join(self.out)
            self.out.clear()
            self.out_bytes = 0
            try:
                self.sock.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                master_gone()

    def send_now(self, type_, id_):
        """Sends an empty frame at once, from any thread (the reloader's)."""
        self.send_frame(type_, id_)
        self.flush()

    def wait_until(self, predicate):
        """Waits until predicate() is true; the reader thread re-checks it after every frame."""
        self.flush()
        with self.changed:
            self.changed.wait_for(predicate)

    def poll(self):
        """Nothing to do: the reader thread dispatches frames as they arrive."""

    def next_request(self):
        """The next request to run, or None once STOP arrived and no request is left."""
        with self.queued:
            if self.pending:
                return self.pending.popleft()
        self.flush()
        with self.queued:
            while not self.pending:
                if self.stopping:
                    return None
                self.queued.wait()
            return self.pending.popleft()

    def finish(self, state):
        """Forgets a request once its terminal frame is queued, and sends that frame."""
        with self.changed:
            del self.requests[state.id]
            self.requests_served += 1
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
            changed = False
            for type_, flags, id_, payload in frames:
                what = route_frame(self, type_, flags, id_, payload)
                if what is QUEUED:
                    self.queued.notify()
                elif what is STOPPING:
                    self.queued.notify_all()
                elif what is DELIVERED:
                    changed = True
            if changed:
                self.changed.notify_all()


def run_threads(worker, count):
    """Runs `worker.serve` in `count` threads until STOP, then returns. An exception that escapes
    the request loop (the app raised SystemExit, or a bug here) ends the whole process, as it
    does in the single-threaded worker."""
    def serve():
        try:
            worker.serve()
        except SystemExit as exc:
            os._exit(exc.code if isinstance(exc.code, int) else 1)
        except BaseException:
            traceback.print_exc()
            os._exit(1)

    threads = [threading.Thread(target=serve, name='nuwsgi-core-%d' % (n + 1)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
