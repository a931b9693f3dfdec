"""The uwsgi sockets a worker accepts on: bound and listening in the master, inherited at spawn
(CONFIG's `uwsgi_sockets` names their descriptors), shared by every worker as uWSGI's are.

Accepting is non-blocking: every worker watches the same sockets, and a connection that another
worker took first is not an error. The master never accepts on them, so their blocking mode
(shared by every process that holds them) concerns only the workers.

The classic deployment has one uwsgi socket and nothing else for the workers to watch (no HTTP
listener sends them requests over the channel): there a worker waits in accept() itself, at most
`wait` seconds at a time, as uWSGI's do. The kernel then wakes one waiting worker per connection,
and a request costs no poll() and no accept() that finds nothing.
"""

import _socket
import errno
import os
import select
import socket
import time

from .peers import AddressList
from .sockio import timeval
from .uwsgi_connection import log

# How long accepting pauses after the worker ran out of descriptors, so that it does not spin.
_OUT_OF_FILES_PAUSE = 0.1
# An accept() that gives up sooner than this did not wait: the socket is non-blocking after all.
_DID_NOT_WAIT = 0.001


class Listener:
    __slots__ = ('sock', 'fd', 'label', 'tcp', 'kind')

    def __init__(self, spec):
        fd = int(spec['fd'])
        os.set_inheritable(fd, False)
        self.sock = socket.socket(fileno=fd)
        self.sock.setblocking(False)
        self.fd = fd
        # `127.0.0.1:3031`, `/run/app.sock`, `@app`: as the master logged it.
        self.label = spec['label']
        self.tcp = self.sock.family in (socket.AF_INET, socket.AF_INET6)
        # What an accepted connection is made of (socket.socket.accept would look it up every time).
        self.kind = (int(self.sock.family), int(self.sock.type), self.sock.proto)


class Acceptor:
    def __init__(self, specs, allow, timeout, cooperative):
        """`allow`: uwsgi-allow's entries, for TCP sockets. `cooperative` (gevent): accepted sockets
        get `timeout` as their own, since gevent's sockets wait inside their calls."""
        self.listeners = [Listener(spec) for spec in specs]
        self.fds = [listener.fd for listener in self.listeners]
        self.allow = AddressList(allow)
        self.timeout = timeout
        self.cooperative = cooperative
        self._first = 0
        # SO_RCVTIMEO of the connections accept_waiting() accepts
        self._receive_timeout = None

    def accept(self):
        """(socket, peer address ('' on a unix socket), Listener) of a connection waiting on one of
        the sockets, or None when there is none."""
        listeners = self.listeners
        count = len(listeners)
        for k in range(count):
            listener = listeners[(self._first + k) % count]
            try:
                if self.cooperative:
                    sock, address = listener.sock.accept()
                else:
                    fd, address = listener.sock._accept()
                    # the C socket type: a connection needs nothing of socket.socket's extras
                    sock = _socket.socket(*listener.kind, fd)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as exc:
                self._accept_failed(listener, exc)
                continue
            # the sockets take turns, so that a busy one does not starve the others
            self._first = (self._first + 1) % count
            if self.cooperative:
                sock.settimeout(self.timeout)
            if not listener.tcp:
                return sock, '', listener
            accepted = self._allowed(sock, address[0], listener)
            if accepted is not None:
                return accepted
        return None

    def _allowed(self, sock, peer, listener):
        """The accepted connection, unless its peer is not in uwsgi-allow (then it is closed, logged)."""
        if self.allow.has(peer):
            return sock, peer, listener
        log('uwsgi connection from %s on %s refused: the peer is not in --uwsgi-allow' % (peer, listener.label))
        sock.close()
        return None

    def wait_in_accept(self, wait):
        """From now on accept_waiting() waits in accept() for up to `wait` seconds (one socket
        only), and the connections it accepts wait in recv() for up to socket-timeout
        (sockio.recv_waiting)."""
        sock = self.listeners[0].sock
        sock.setblocking(True)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval(wait))
        self._receive_timeout = timeval(self.timeout)

    def accept_waiting(self):
        """accept(), waiting up to the time given to wait_in_accept; None when nothing came."""
        listener = self.listeners[0]
        started = time.monotonic()
        try:
            fd, address = listener.sock._accept()
        except BlockingIOError:
            if time.monotonic() - started < _DID_NOT_WAIT:
                # another generation of workers made the shared socket non-blocking (a reload
                # changed the mode): wait for it as the other workers do
                select.select(self.fds, (), (), _OUT_OF_FILES_PAUSE)
            return None
        except OSError as exc:
            self._accept_failed(listener, exc)
            return None
        sock = _socket.socket(*listener.kind, fd)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, self._receive_timeout)
        if listener.tcp:
            return self._allowed(sock, address[0], listener)
        return sock, '', listener

    @staticmethod
    def _accept_failed(listener, exc):
        if exc.errno in (errno.ECONNABORTED, errno.EPROTO):
            return
        log('cannot accept on %s: %s' % (listener.label, exc))
        if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
            time.sleep(_OUT_OF_FILES_PAUSE)
