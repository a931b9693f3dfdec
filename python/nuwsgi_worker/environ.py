"""The WSGI environ of a request: the CGI variables from the master plus the wsgi.* keys."""

import sys

from .filewrapper import FileWrapper


def base_environ(config):
    """The keys every request gets, computed once from CONFIG."""
    return {
        'wsgi.version': (1, 0),
        'wsgi.errors': sys.stderr,
        # Several threads may run the app at once. Greenlets switch only where they wait, so a gevent
        # worker says False, as uWSGI does for --gevent alone.
        'wsgi.multithread': config.get('mode', 'threads') == 'threads' and int(config.get('threads', 1)) > 1,
        'wsgi.multiprocess': int(config.get('processes', 1)) > 1,
        'wsgi.run_once': False,
        # The master always marks the end of the body (BODY_END), also for chunked requests.
        'wsgi.input_terminated': True,
        'wsgi.file_wrapper': FileWrapper,
    }


def build_environ(block, base, wsgi_input):
    """A fresh environ dict from a REQUEST's environ block (NUL-separated latin-1 keys and values)."""
    # zip() over one iterator twice pairs each key with the value after it.
    fields = iter(block.decode('latin-1').split('\0'))
    environ = dict(zip(fields, fields))
    environ.update(base)
    environ['wsgi.input'] = wsgi_input
    return environ
