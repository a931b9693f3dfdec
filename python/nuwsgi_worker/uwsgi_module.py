"""The `uwsgi` module of uWSGI's Python plugin, as far as a nuwsgi worker can provide it.

The worker installs this module as sys.modules['uwsgi'] before it imports the app, so that
`import uwsgi` works. Public names are uWSGI's API (docs/compat.md, "The uwsgi module"); names
starting with `_` are the worker's side: `_install` fills the module in from CONFIG, `_serving`
hands it the channel pump that counts requests, `_call_hook` runs the hooks an app may set
(`post_fork_hook`, `atexit`).

A worker knows only itself: total_requests() and workers() are about this worker. What needs one
of uWSGI's subsystems (caches, spooler, mules, signals and timers, RPC, websockets...) is absent:
asking for it raises an AttributeError that names the function and says nuwsgi does not support
it, so that `hasattr(uwsgi, 'cache_get')` stays an honest feature test.
"""

# Imported under private names: a module's imports are its attributes, and `uwsgi.signal` must be
# uWSGI's (unsupported) function, not the signal module.
import os as _os
import signal as _signal
import socket as _socket
import sys as _sys
import threading as _threading
import time as _time
import traceback as _traceback

# What uWSGI 2.0's Debian build reports is b'2.0.21-debian' and (2, 0, 21, 0, b'debian'): nuwsgi
# follows uWSGI 2.0.21 (the release its tests compare against) and says that it is not uWSGI.
version = b'2.0.21-nuwsgi'
version_info = (2, 0, 21, 0, b'nuwsgi')

# Return values of a spooler function (there is no spooler; uwsgidecorators reads SPOOL_OK).
SPOOL_OK = -2
SPOOL_RETRY = -1
SPOOL_IGNORE = 0

# Filled in by _install() from CONFIG.
opt = {}
numproc = 1
cores = 1
# The app's own threads always run in nuwsgi, as with uWSGI's enable-threads (which gives 1).
has_threads = 1
buffer_size = 4096
started_on = 0
hostname = b''
is_a_reload = False
# uWSGI's %-variables of the configuration; nuwsgi expands them in the master, none reach the worker.
magic_table = {}

_worker_id = 0
_master_pid = 0
# Whom reload() and stop() signal: the Node master, which is the parent even without --master.
_signal_target = 0
_pump = None
_lock = None


def _install(config, master=None):
    """Fills the module in from the CONFIG frame and makes it `import uwsgi`. Called after the
    gevent patch, if any, so that the lock below is the cooperative one; a forked worker calls it
    again with its own CONFIG and the master's pid (its parent is the zygote)."""
    global opt, numproc, cores, buffer_size, started_on, hostname, _worker_id, _master_pid
    global _signal_target, _lock
    options = config.get('options') or {}
    opt = {name: _opt_value(value) for name, value in options.items()}
    numproc = int(config.get('processes', 1))
    cores = int(config.get('threads', 1))
    buffer_size = int(options.get('buffer-size', 4096))
    started_on = int(_time.time())
    hostname = _socket.gethostname().encode('utf-8')
    _worker_id = int(config.get('worker_id', 0))
    _master_pid = int(config.get('master_pid', 0))
    _signal_target = _master_pid or master or _os.getppid()
    _lock = _threading.Lock()
    _sys.modules['uwsgi'] = _sys.modules[__name__]


def _opt_value(value):
    """A CONFIG option as uWSGI 2.0 shows it on Python 3: the text as bytes. A repeated option
    shows its last value there (Debian's uWSGI 2.0.21 gives b'B=2' for `--env A=1 --env B=2`,
    although uWSGI's documentation promises a list), and so it does here. A flag is True, or False
    when it was turned off."""
    if isinstance(value, bool):
        return value
    if isinstance(value, list):
        value = value[-1]
    return value.encode('utf-8')


def _serving(pump):
    """The pump that serves requests from now on: total_requests() reads its counter."""
    global _pump
    _pump = pump


def _call_hook(name):
    """Calls uwsgi.<name>() if the app set it. As in uWSGI, an exception is logged, not fatal."""
    hook = globals().get(name)
    if hook is None:
        return
    try:
        hook()
    except Exception:
        _sys.stderr.write('nuwsgi: uwsgi.%s raised:\n' % name)
        _traceback.print_exc()
        _sys.stderr.flush()


def worker_id():
    """This worker's number, 1..processes."""
    return _worker_id


def masterpid():
    """The master's pid with --master, else 0 (as uWSGI; uwsgidecorators refuses to load then)."""
    return _master_pid


def reload():
    """Asks the master for a graceful reload (SIGHUP). True once the signal is sent."""
    return _signal_master(_signal.SIGHUP)


def stop():
    """Asks the master to shut down (SIGQUIT, as uWSGI 2.0's uwsgi.stop()). True once sent."""
    return _signal_master(_signal.SIGQUIT)


def _signal_master(signum):
    try:
        _os.kill(_signal_target, signum)
    except OSError as exc:
        # uWSGI logs the failed kill() and returns None.
        log('nuwsgi: could not send %s to the master (pid %d): %s' % (
            _signal.Signals(signum).name, _signal_target, exc.strerror))
        return None
    return True


def total_requests():
    """Requests this worker has served (uWSGI counts every worker's: nuwsgi's worker knows only its own)."""
    return _pump.requests_served if _pump is not None else 0


def workers():
    """The workers as this one knows them: itself only."""
    return ({
        'id': _worker_id,
        'pid': _os.getpid(),
        'requests': total_requests(),
        'last_spawn': started_on,
    },)


def log(message):
    """Writes one line to the log (the worker's stderr, which is the master's log)."""
    if isinstance(message, bytes):
        message = message.decode('utf-8', 'replace')
    _sys.stderr.write('%s\n' % message)
    _sys.stderr.flush()
    return True


def i_am_the_spooler():
    """Always False: nuwsgi has no spooler process (uwsgidecorators' @lock asks)."""
    return False


def lock(num=0):
    """Takes the worker's lock. Unlike uWSGI's, it excludes only the threads of this worker, not
    the other workers."""
    _check_lock_number(num)
    _lock.acquire()


def unlock(num=0):
    _check_lock_number(num)
    _lock.release()


def _check_lock_number(num):
    # uWSGI has one lock unless --locks adds more; nuwsgi has only that one.
    if num != 0:
        raise ValueError('Invalid lock number')


# Parts of uWSGI's API that need a subsystem nuwsgi does not have: the name, or the prefix of the
# names, and what to say.
_UNSUPPORTED = (
    (('cache_',), "uWSGI's caching framework (cache2); use a cache server such as memcached or redis"),
    (('spool', 'send_to_spooler', 'spooler_', 'set_spooler_frequency'),
     "uWSGI's spooler; use a task queue such as Celery or RQ"),
    (('mule_', 'farm_', 'in_farm'), "uWSGI's mules and farms; run background work in a thread or a separate service"),
    (('register_signal', 'signal', 'signal_registered', 'signal_wait', 'signal_received', 'add_timer',
      'add_ms_timer', 'add_rb_timer', 'add_cron', 'add_file_monitor'),
     "uWSGI's signal framework (signals, timers, cron, file monitors); use a thread or cron"),
    (('rpc', 'register_rpc', 'rpc_list', 'call'), "uWSGI's RPC subsystem"),
    (('sharedarea_', 'queue_', 'metric_'), "uWSGI's shared areas, queues and metrics"),
    (('websocket_',), "uWSGI's websockets"),
    (('async_', 'suspend', 'wait_fd_read', 'wait_fd_write', 'ready_fd', 'green_schedule'),
     "uWSGI's async engine; use --gevent"),
    (('chunked_read',), "uwsgi.chunked_read(): nuwsgi de-chunks request bodies into wsgi.input"),
    (('sendfile', 'offload'), "uWSGI's offloading; return environ['wsgi.file_wrapper'](f)"),
    (('set_user_harakiri',), "harakiri"),
    (('set_logvar', 'get_logvar', 'log_this_request'), "uWSGI's request-log variables"),
    (('request_id', 'accepting', 'disconnect', 'ready', 'listen_queue', 'sockets', 'connection_fd',
      'is_locked', 'setprocname', 'add_var', 'alarm', 'mem', 'micros'),
     "this part of uWSGI's API"),
)


def __getattr__(name):
    """Called only for names the module lacks: says which uWSGI feature is missing."""
    for names, what in _UNSUPPORTED:
        if any(name == entry or (entry.endswith('_') and name.startswith(entry)) for entry in names):
            raise AttributeError('uwsgi.%s is not supported by nuwsgi (%s); see docs/compat.md' % (name, what))
    raise AttributeError("module 'uwsgi' has no attribute %r" % name)
