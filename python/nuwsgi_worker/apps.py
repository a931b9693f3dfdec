"""Choosing the app of a request when --mount gave more than one (uWSGI's uwsgi_get_app_id, and the
SCRIPT_NAME/PATH_INFO rewrite of manage-script-name in uwsgi_parse_vars).

The key is SCRIPT_NAME, compared exactly with each mountpoint; without a match the default app (the
one of module/wsgi-file) answers. With manage-script-name, the longest mountpoint that prefixes
PATH_INFO (followed by its end or '/'; a trailing '/' of the mountpoint is ignored for matching)
first becomes SCRIPT_NAME, verbatim, and is taken off PATH_INFO.
"""

import sys

from . import answers


class AppTable:
    def __init__(self, default_app, mounts, manage_script_name):
        """`mounts` is a list of (mountpoint, app) pairs, in the order they were given."""
        self.default_app = default_app or _no_app
        self.by_mountpoint = {}
        for mountpoint, app in mounts:
            # The first app given for a mountpoint wins, as in uWSGI.
            self.by_mountpoint.setdefault(mountpoint, app)
        # (prefix matched against PATH_INFO, mountpoint), longest prefix first.
        self.prefixes = sorted(
            ((_matched_part(mountpoint), mountpoint) for mountpoint in self.by_mountpoint),
            key=lambda entry: len(entry[0]), reverse=True,
        ) if manage_script_name else None

    def select(self, environ):
        """The app for this request; with manage-script-name, SCRIPT_NAME and PATH_INFO are rewritten."""
        if self.prefixes is not None:
            path_info = environ.get('PATH_INFO', '')
            for prefix, mountpoint in self.prefixes:
                if path_info.startswith(prefix) and path_info[len(prefix):len(prefix) + 1] in ('', '/'):
                    environ['SCRIPT_NAME'] = mountpoint
                    environ['PATH_INFO'] = path_info[len(prefix):]
                    break
        return self.by_mountpoint.get(environ.get('SCRIPT_NAME', ''), self.default_app)


def _matched_part(mountpoint):
    """The part of a mountpoint that must prefix PATH_INFO: without its trailing '/'."""
    return mountpoint[:-1] if len(mountpoint) > 1 and mountpoint.endswith('/') else mountpoint


def _no_app(environ, start_response):
    """Answers requests that no app serves: only mounts were given and none matched."""
    sys.stderr.write('--- no python application found for SCRIPT_NAME %r (PATH_INFO %r), '
                     'check your startup logs for errors ---\n'
                     % (environ.get('SCRIPT_NAME', ''), environ.get('PATH_INFO', '')))
    head = answers.head('internalError')
    start_response(head[0], [(head[i], head[i + 1]) for i in range(1, len(head), 2)])
    return [answers.body('internalError')]
