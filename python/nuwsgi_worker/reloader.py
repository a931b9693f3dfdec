"""py-autoreload: a daemon thread that watches the files the app's code came from.

Every `interval` seconds it stats the file of every module in `sys.modules`, the wsgi-file included
(loader.py loads it as a module). When a file's mtime differs from the one first seen, it logs
uWSGI's line and sends RELOAD to the master, which stops this worker once its requests are done and
starts a new one that imports the new code. The thread then ends: one RELOAD is enough.
"""

import os
import sys
import threading
import time

from .channel import RELOAD


def start_reloader(pump, interval):
    """Notes the mtimes as they are now, then watches them from a daemon thread."""
    seen = {}
    _modified(seen)
    threading.Thread(target=_watch, args=(pump, interval, seen), name='nuwsgi-reloader', daemon=True).start()


def _watch(pump, interval, seen):
    while True:
        time.sleep(interval)
        if _modified(seen):
            pump.send_now(RELOAD, 0)
            return


def _modified(seen):
    """Whether a file's mtime changed since `seen` noted it (files seen for the first time are noted)."""
    for path in _watched_files():
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            continue
        if seen.setdefault(path, mtime) != mtime:
            sys.stderr.write('[uwsgi-python-reloader] module/file %s has been modified\n' % path)
            sys.stderr.flush()
            return True
    return False


def _watched_files():
    """The source files of the loaded modules (a .pyc stands for its .py, as in uWSGI)."""
    for module in list(sys.modules.values()):
        path = getattr(module, '__file__', None)
        if isinstance(path, str):
            yield path[:-1] if path.endswith(('.pyc', '.pyo')) else path
