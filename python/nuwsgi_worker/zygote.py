"""The zygote: the process that imports the apps once and forks the workers (uWSGI's default,
non-lazy mode; `lazy-apps` starts every worker as a fresh Python instead).

The master starts it as it starts a worker, with a CONFIG that carries `zygote` (where the forked
workers connect). Once the apps are loaded it freezes what the import made (gc.collect(), then
gc.freeze(): the collector then never writes to those objects again, so their pages stay shared
with the workers), reports READY, and waits for the master's FORK frames. For each one it forks,
tells the master the child's pid (FORKED), and later its exit status (FORK_EXIT): it is the
workers' parent, the one process that can wait for them.

A forked child drops the zygote's channel and connects to the master three times (docs/channel.md,
"Forked workers"): its stdout, its stderr, then its own channel, each opened with a HELLO frame
that names the fork. From then on it is a worker like any other: it reads its CONFIG on the new
channel and serves.
"""

import gc
import json
import os
import select
import signal
import socket
import sys
import threading

from .channel import FORK, FORK_EXIT, FORKED, HELLO, READY, TO_ZYGOTE, ChannelError, FrameDecoder, encode_frame

RECV_SIZE = 64 * 1024


def freeze_and_report(sock, loaded):
    """Called once the apps are loaded: warns about the threads they started, keeps the loaded
    objects' pages shared, and reports READY."""
    _warn_about_threads()
    gc.collect()
    gc.freeze()
    _send(sock, READY, {
        'pid': os.getpid(),
        'python': '%d.%d.%d' % sys.version_info[:3],
        'app': loaded,
    })


def _original(module, name):
    """The standard library's function, also under gevent's monkey-patching: gevent's own fork,
    waitpid and SIGCHLD handling reap the children in its loop, and their exit statuses would never
    reach the master. The zygote runs no greenlet, so the blocking originals are what it needs."""
    monkey = sys.modules.get('gevent.monkey')
    if monkey is not None and monkey.is_module_patched(module.__name__):
        return monkey.get_original(module.__name__, name)
    return getattr(module, name)


def wait_for_forks(sock, rendezvous):
    """Forks a worker on each FORK frame, until the master closes the channel (the zygote then
    exits; its workers keep serving on their own channels). Returns only in a forked child: the
    child's channel to the master, connected."""
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    # A handler, not SIG_DFL: SIGCHLD then writes to the wakeup pipe and select() returns.
    _original(signal, 'signal')(signal.SIGCHLD, lambda signum, frame: None)
    fork = _original(os, 'fork')
    wait = _original(select, 'select')
    waitpid = _original(os, 'waitpid')
    decoder = FrameDecoder(TO_ZYGOTE)
    while True:
        try:
            readable, _, _ = wait([sock, wake_r], [], [])
        except InterruptedError:
            continue
        if wake_r in readable:
            _drain(wake_r)
            _reap(sock, waitpid)
        if sock not in readable:
            continue
        data = sock.recv(RECV_SIZE)
        if not data:
            os._exit(0)
        try:
            frames = decoder.feed(data)
        except ChannelError as exc:
            sys.stderr.write('nuwsgi zygote %d: invalid frame from the master (%s), exiting\n' % (os.getpid(), exc))
            os._exit(1)
        for type_, _flags, _id, payload in frames:
            if type_ != FORK:
                continue
            token = json.loads(bytes(payload).decode('utf-8'))['token']
            sys.stdout.flush()
            sys.stderr.flush()
            pid = fork()
            if pid == 0:
                os.close(wake_r)
                os.close(wake_w)
                _reinit_gevent()
                return _become_worker(sock, rendezvous, token)
            _send(sock, FORKED, {'token': token, 'pid': pid})


def _reinit_gevent():
    """A child forked with the original fork() gets gevent's loop ready for it, as gevent's fork does."""
    if 'gevent' in sys.modules:
        import gevent
        gevent.reinit()


def _become_worker(zygote_channel, rendezvous, token):
    signal.set_wakeup_fd(-1)
    _original(signal, 'signal')(signal.SIGCHLD, signal.SIG_DFL)
    zygote_channel.close()
    try:
        for name, fd in (('stdout', 1), ('stderr', 2)):
            stream = _connect(rendezvous, token, name)
            os.dup2(stream.fileno(), fd)
            stream.close()
        return _connect(rendezvous, token, 'channel')
    except OSError:
        # the master is gone (or going): nobody would ever talk to this worker
        os._exit(1)


def _connect(path, token, stream):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    payload = json.dumps({'token': token, 'stream': stream, 'pid': os.getpid()}).encode('utf-8')
    sock.sendall(encode_frame(HELLO, 0, payload))
    return sock


def _reap(sock, waitpid):
    """Tells the master how each of its exited children ended: the master is not their parent."""
    while True:
        try:
            pid, status = waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if os.WIFSIGNALED(status):
            _send(sock, FORK_EXIT, {'pid': pid, 'code': None, 'signal': os.WTERMSIG(status)})
        else:
            _send(sock, FORK_EXIT, {'pid': pid, 'code': os.WEXITSTATUS(status), 'signal': None})


def _drain(fd):
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


def _send(sock, type_, message):
    try:
        sock.sendall(encode_frame(type_, 0, json.dumps(message).encode('utf-8')))
    except (BrokenPipeError, ConnectionResetError):
        os._exit(0)


def _warn_about_threads():
    """fork() copies only the thread that calls it: a thread the app started at import is missing
    from every worker (and a lock it held stays locked there). Python 3.12 warns about it too."""
    others = [thread for thread in threading.enumerate() if thread is not threading.main_thread()]
    if not others:
        return
    names = ', '.join(repr(thread.name) for thread in others)
    sys.stderr.write(
        'nuwsgi: WARNING: the app started %d thread%s at import (%s): the workers are forked from this '
        'process and have none of them. Start them in a function decorated with @postfork (or set '
        'uwsgi.post_fork_hook), or use lazy-apps so that every worker imports the app itself.\n'
        % (len(others), '' if len(others) == 1 else 's', names))
    sys.stderr.flush()
