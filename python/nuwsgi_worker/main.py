"""Entry point of a worker process.

The master runs
    python3 -c "import sys; sys.path.insert(1, sys.argv.pop(1)); from nuwsgi_worker.main import main; main()" DIR
with the channel on fd 3 and the working directory and environment of the app already set.
"""

import ctypes
import glob
import json
import os
import signal
import socket
import sys
import traceback

from . import answers
from .acceptor import Acceptor
from .channel import READY
from .environ import base_environ
from .apps import AppTable
from .loader import AppLoadError, describe, load_app, load_default_app, mount_config
from .pump import ACCEPT_WAIT, Pump
from .reloader import start_reloader
from .scoreboard import open_scoreboard
from .streams import tolerate_gone_log
from .threaded_pump import ThreadedPump, run_threads
from . import uwsgi_module
from .static_files import StaticFiles
from .uwsgi_server import UwsgiServer
from .watchdog import install_status_report, start_harakiri_watchdog
from .worker import Worker
from . import zygote

CHANNEL_FD = 3
# uWSGI's exit status for "the app could not be loaded".
EXIT_APP_LOAD_FAILED = 22


def main():
    sys.argv = ['nuwsgi']
    _forget_own_directory()
    # stdout and stderr are pipes to the master, which writes them to its log: a line should reach
    # it when printed, as it would on a terminal
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, 'reconfigure'):
            stream.reconfigure(line_buffering=True)
    tolerate_gone_log()
    # Ctrl-C, and a service manager's SIGTERM, reach the whole process group (systemd signals the
    # whole cgroup): the master coordinates the shutdown, so in-flight requests can finish. The
    # master stops a worker with a STOP frame, or SIGKILL after its mercy; its death kills us too.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, signal.SIG_IGN)
    _die_with_parent()

    sock = _inherited_channel()
    pump = Pump(sock)
    config = _read_config(pump)
    if config.get('mode') == 'gevent':
        pump.sock = _patch_for_gevent(sock)

    for pattern in reversed(config.get('pythonpath') or []):
        sys.path[0:0] = sorted(glob.glob(pattern)) or [pattern]
    answers.install(config['answers'])
    uwsgi_module._install(config)
    apps = _load_apps(config)
    if config.get('chdir2'):
        _chdir2(config['chdir2'])
    if config.get('zygote') is not None:
        # This process only forks the workers: each child goes on below with its own channel.
        master_pid = os.getppid()
        zygote.freeze_and_report(pump.sock, apps[2])
        pump = Pump(zygote.wait_for_forks(pump.sock, config['zygote']['socket']))
        config = _read_config(pump)
        uwsgi_module._install(config, master_pid)
    _serve(pump, config, *apps)


def _read_config(pump):
    pump.wait_until(lambda: pump.config is not None)
    config = json.loads(pump.config.decode('utf-8'))
    pump.response_window = int(config['response_window'])
    return config


def _serve(pump, config, app, app_table, loaded):
    """Serves requests with the loaded apps until STOP: a worker's life once it has its channel."""
    # CONFIG's mode and threads: 'threads' with 1 core is the single-threaded pump; more cores, or
    # gevent, run requests concurrently behind a ThreadedPump.
    gevent_mode = config.get('mode') == 'gevent'
    cores = int(config.get('threads', 1))
    # uWSGI calls it in each worker after the fork, once the app is loaded (uwsgidecorators' @postfork).
    uwsgi_module._call_hook('post_fork_hook')

    concurrent = gevent_mode or cores > 1
    if concurrent:
        pump = ThreadedPump(pump)
    uwsgi_module._serving(pump)
    autoreload = int(config.get('py_autoreload', 0))
    if autoreload > 0:
        start_reloader(pump, autoreload)
    # before READY: the master then unlinks a forked worker's scoreboard file (scoreboard_path)
    scoreboard = open_scoreboard(config, cores)
    pump.send_frame(READY, 0, json.dumps({
        'pid': os.getpid(),
        'python': '%d.%d.%d' % sys.version_info[:3],
        'app': loaded,
    }).encode('utf-8'))
    worker = Worker(
        pump, app, base_environ(config),
        request_body_window=int(config['request_body_window']),
        catch_exceptions=bool(config.get('catch_exceptions')),
        app_table=app_table,
        scoreboard=scoreboard,
    )
    if config.get('uwsgi_sockets'):
        _serve_uwsgi_sockets(config, worker, pump, cores, gevent_mode)
    if concurrent:
        run_threads(worker, cores)
    else:
        worker.serve()
    # A normal exit (STOP from the master): the app's uwsgi.atexit, as uWSGI calls it on shutdown and reload.
    uwsgi_module._call_hook('atexit')
    pump.sock.close()


def _serve_uwsgi_sockets(config, worker, pump, cores, gevent_mode):
    """The worker accepts on the uwsgi sockets it inherited (CONFIG's uwsgi_sockets), besides
    serving the channel's requests."""
    options = config['uwsgi']
    acceptor = Acceptor(config['uwsgi_sockets'], options['allow'], float(options['socket_timeout']), gevent_mode)
    # the master's static-file rules, add-header among them (docs/channel.md); without mounts a
    # request costs nothing to look up
    rules = config.get('static_files') or {}
    static = StaticFiles(rules) if rules.get('mounts') else None
    worker.uwsgi = server = UwsgiServer(worker, pump, options, cores, rules.get('add_headers') or (), static)
    if isinstance(pump, ThreadedPump):
        pump.start_accepting(acceptor)
    else:
        pump.acceptor = acceptor
        if len(acceptor.listeners) == 1 and not config.get('channel_requests'):
            acceptor.wait_in_accept(ACCEPT_WAIT)
            pump.waits_in_accept = True
            server.waits_in_kernel()
    harakiri = int(options.get('harakiri', 0))
    if harakiri > 0:
        start_harakiri_watchdog(server, pump, harakiri)
    install_status_report(server, int(config['worker_id']))


def _patch_for_gevent(sock):
    """gevent mode: makes the standard library cooperative before the app is imported, and returns
    the channel as a gevent socket (the one made before patching would block every greenlet)."""
    from gevent import monkey
    monkey.patch_all()
    return socket.socket(fileno=sock.detach())


def _inherited_channel():
    """The channel socket the master left on fd 3 (a worker forked by the zygote connects back to the
    master instead: zygote.py; nothing else in the worker depends on how the socket was obtained)."""
    os.set_inheritable(CHANNEL_FD, False)
    sock = socket.socket(fileno=CHANNEL_FD)
    sock.setblocking(True)
    return sock


def _forget_own_directory():
    """Takes this package's directory off sys.path again, so that the app sees a clean sys.path."""
    own = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    sys.path[:] = [entry for entry in sys.path if not entry or os.path.realpath(entry) != own]


def _die_with_parent():
    """On Linux, asks the kernel to SIGKILL this process when the master dies."""
    if not sys.platform.startswith('linux'):
        return
    parent = os.getppid()
    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        # The master died before prctl() took effect: nobody would ever kill this process.
        os._exit(0)


def _load_apps(config):
    """Loads the default app (CONFIG's module or wsgi_file) and the mounts, or exits. Returns the
    default app (None when only mounts were given), the AppTable (None without mounts) and what was
    loaded, for READY: "file 'app.py', mount '/x' = module 'x'"."""
    app_config = config['app']
    mounts = config.get('mounts') or []
    app = None
    multi_app = []
    loaded = []
    # Without mounts the default app is required: the loader reports a CONFIG that names neither.
    if app_config.get('module') or app_config.get('wsgi_file') or not mounts:
        app, applications = _load_or_exit(load_default_app, app_config, describe(app_config))
        loaded.append(describe(app_config))
        if applications is not None:
            # uwsgi.applications: the app of mountpoint '' is the default one, the others are mounts.
            app = next((callable_ for mountpoint, callable_ in applications if mountpoint == ''), None)
            multi_app = [(mountpoint, callable_) for mountpoint, callable_ in applications if mountpoint != '']
            loaded[0] += ' (uwsgi.applications: %s)' % ', '.join(repr(mountpoint) for mountpoint, _ in applications)
    if not mounts and not multi_app:
        return app, None, loaded[0]
    mounted = []
    for mountpoint, spec in mounts:
        mount = mount_config(spec, app_config.get('callable'))
        description = 'mount %r = %s' % (mountpoint, describe(mount))
        mounted.append((mountpoint, _load_or_exit(load_app, mount, description)))
        loaded.append(description)
    # The --mount apps come first: for the same mountpoint they win over uwsgi.applications.
    table = AppTable(app, mounted + multi_app, bool(config.get('manage_script_name')))
    return app, table, ', '.join(loaded)


def _load_or_exit(load, app_config, description):
    try:
        return load(app_config)
    except BaseException as exc:
        _exit_load_failed(description, exc)


def _chdir2(directory):
    """chdir2: the workers change directory once the apps are loaded."""
    try:
        os.chdir(directory)
    except OSError as exc:
        sys.stderr.write('nuwsgi: --chdir2 %s: %s\n' % (directory, exc.strerror))
        sys.stderr.flush()
        os._exit(EXIT_APP_LOAD_FAILED)


def _exit_load_failed(description, exc):
    if isinstance(exc, AppLoadError):
        summary = str(exc)
    else:
        traceback.print_exception(type(exc), exc, exc.__traceback__)
        summary = traceback.format_exception_only(type(exc), exc)[-1].strip()
    sys.stderr.write('nuwsgi: failed to load WSGI app from %s: %s\n' % (description, summary))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_APP_LOAD_FAILED)
