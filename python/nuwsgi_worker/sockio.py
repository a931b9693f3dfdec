"""Reads and writes on an accepted connection with a time limit on each wait (socket-timeout),
without changing the socket's mode: every call is non-blocking (MSG_DONTWAIT) and waits in poll().
So the same code serves a plain blocking socket and gevent's non-blocking one (gevent's poll() is
cooperative), and a connection whose data is already there costs one system call.
"""

import os
import select
import socket
import struct

_READ = select.POLLIN | select.POLLHUP | select.POLLERR
_WRITE = select.POLLOUT | select.POLLHUP | select.POLLERR
_SEND_FLAGS = socket.MSG_DONTWAIT | socket.MSG_NOSIGNAL


def wait_for(sock, events, timeout):
    """True once `sock` is ready for `events`, False after `timeout` seconds."""
    poller = select.poll()
    poller.register(sock, events)
    return bool(poller.poll(timeout * 1000))


def recv_some(sock, size, timeout):
    """Up to `size` bytes, b'' at the end of the stream; raises socket.timeout when nothing comes
    within `timeout` seconds (gevent's sockets raise it from inside recv)."""
    while True:
        try:
            return sock.recv(size, socket.MSG_DONTWAIT)
        except BlockingIOError:
            if not wait_for(sock, _READ, timeout):
                raise socket.timeout('socket-timeout')


def recv_waiting(sock, size, timeout):
    """recv_some for a blocking socket whose SO_RCVTIMEO is `timeout` (set by the Acceptor of a
    worker that waits in accept()): the wait is the kernel's, so a read costs one system call
    even when the data is not there yet."""
    try:
        return sock.recv(size)
    except BlockingIOError:
        raise socket.timeout('socket-timeout') from None


def timeval(seconds):
    """`seconds` as the struct timeval of SO_RCVTIMEO."""
    return struct.pack('ll', int(seconds), int(seconds % 1 * 1_000_000))


def send_all(sock, data, timeout):
    """Sends every byte of `data`; raises socket.timeout when the peer takes none for `timeout`
    seconds, or OSError (BrokenPipeError, ConnectionResetError) when it is gone."""
    try:
        sent = sock.send(data, _SEND_FLAGS)
    except BlockingIOError:
        sent = 0
    if sent == len(data):
        return
    view = memoryview(data)[sent:]
    while view:
        try:
            sent = sock.send(view, _SEND_FLAGS)
        except BlockingIOError:
            sent = 0
        view = view[sent:]
        if view and not sent and not wait_for(sock, _WRITE, timeout):
            raise socket.timeout('socket-timeout')


def send_file(sock, fd, offset, count, timeout):
    """Sends `count` bytes of the file `fd` from `offset` with sendfile(). Returns how many went out
    (fewer when the file ends first), and whether sending failed (the peer is gone or stopped
    reading for `timeout` seconds) before the rest could.

    sendfile() has no MSG_DONTWAIT: on a blocking socket it would wait for a peer that stopped
    reading for as long as the peer likes, so the socket is non-blocking while it runs, and the
    waits are poll()'s, as for every other call here."""
    out = sock.fileno()
    blocking = os.get_blocking(out)
    if blocking:
        os.set_blocking(out, False)
    sent_total = 0
    try:
        while sent_total < count:
            try:
                sent = os.sendfile(out, fd, offset + sent_total, count - sent_total)
            except BlockingIOError:
                if not wait_for(sock, _WRITE, timeout):
                    return sent_total, True
                continue
            if sent == 0:
                break
            sent_total += sent
    except OSError:
        return sent_total, True
    finally:
        if blocking:
            os.set_blocking(out, True)
    return sent_total, False
