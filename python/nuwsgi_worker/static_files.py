"""Static files on the uwsgi sockets: the worker answers a request under a static mount itself,
from the file on disk, before any app sees it, as the master does for its HTTP listeners.

The rules are the master's, resolved once at start (src/router/static/rules.ts) and given to every
worker in CONFIG's `static_files` (docs/channel.md); nothing here derives them again. The steps are
the master's too, one for one: which files a PATH_INFO may name (lookup.ts: static_lookup.py),
which one is on disk (disk.ts: StaticFiles.find), and what is sent (files.ts: StaticFiles.serve,
with the HTTP semantics of respond.ts in static_http.py). The body leaves with os.sendfile(); there
is no cache of the files' bytes here, the kernel's page cache is one.
"""

import errno
import os
import re
import stat as stat_module
import time

from . import answers
from .static_http import FileMeta, choose_encoding, respond_with_file
from .static_lookup import Mount, Refusal, look_up
from .uwsgi_connection import log
from .uwsgi_server import request_uri

REASONS = {200: 'OK', 206: 'Partial Content', 304: 'Not Modified'}
_UNKNOWN_TYPE = 'application/octet-stream'
# Errors that mean "no such file here": the next candidate is tried, then the app.
_ABSENT = frozenset((errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG, errno.ELOOP, errno.EACCES))
# What node's http refuses in a header value (its checkInvalidHeaderChar)
_BAD_HEADER_CHAR = re.compile('[^\t\x20-\x7e\x80-\xff]').search


class Found:
    """The file on disk that answers a request, and its precompressed siblings."""
    __slots__ = ('path', 'stat', 'compressible', 'br', 'gzip')

    def __init__(self, path, stat, compressible, br, gzip):
        self.path = path
        self.stat = stat
        self.compressible = compressible
        # (path, stat) of `path`.br and `path`.gz when precompression applies and they exist
        self.br = br
        self.gzip = gzip


class StaticFiles:
    def __init__(self, rules):
        """`rules`: CONFIG's static_files. Built once per worker: the regular expressions are
        compiled here, the MIME table is used as it came."""
        self.mounts = tuple(Mount(spec) for spec in rules['mounts'])
        self.index = tuple(rules['index'])
        self.skip_ext = tuple(rules['skip_ext'])
        self.safe = tuple(rules['safe'])
        gzip = rules['gzip']
        self.gzip_all = bool(gzip['all'])
        self.gzip_dirs = tuple(gzip['dirs'])
        self.gzip_exts = tuple(gzip['exts'])
        self.gzip_patterns = [p for p in (_compile(source, 'static-gzip') for source in gzip['patterns']) if p is not None]
        # (subject, pattern: a compiled regular expression, or the Content-Type for 'type', seconds, from mtime)
        self.expires = []
        for rule in rules['expires']:
            subject = rule['subject']
            pattern = rule['pattern'] if subject == 'type' else _compile(rule['pattern'], 'static-expires')
            if pattern is not None:
                self.expires.append((subject, pattern, rule['seconds'], bool(rule['from_mtime'])))
        self.mime_types = rules['mime_types']
        self.serve_mode = rules['serve_mode']

    def look_up(self, method, path_info):
        """static_lookup.look_up over these mounts."""
        return look_up(self.mounts, self.skip_ext, method, path_info)

    # --- which file is on disk (disk.ts) ----------------------------------------------------------

    def find(self, candidates):
        """The Found file of the first candidate on disk, a Refusal, or None (the app gets the
        request). Raises OSError when the disk fails otherwise than with "no such file"."""
        for mount, path in candidates:
            found = self._real_file(mount.root, path)
            if found is None:
                continue
            if type(found) is Refusal:
                return found
            real, info = found
            if stat_module.S_ISDIR(info.st_mode):
                found = self._index_of(mount.root, real)
                if found is None:
                    continue
                if type(found) is Refusal:
                    return found
                real, info = found
            if not stat_module.S_ISREG(info.st_mode):
                continue
            if self.skip_ext and real.endswith(self.skip_ext):
                return None
            compressible = self._compressible(real)
            return Found(real, info, compressible,
                         self._sibling(mount.root, real + '.br') if compressible else None,
                         self._sibling(mount.root, real + '.gz') if compressible else None)
        return None

    def _real_file(self, root, path):
        """(real path, stat) of `path`; None when there is none; a Refusal when it leads out of
        `root` and every static-safe path."""
        try:
            real = os.path.realpath(path)
            info = os.stat(real)
        except OSError as exc:
            if exc.errno in _ABSENT:
                return None
            raise
        # realpath(3), which the master's is, fails on a file named with a trailing '/'
        if path.endswith('/') and not stat_module.S_ISDIR(info.st_mode):
            return None
        if not _is_under(real, root) and not any(_is_under(real, safe) for safe in self.safe):
            return Refusal('forbidden', '%s is not under %s or a static-safe path' % (real, root))
        return real, info

    def _sibling(self, root, path):
        """A precompressed sibling: (real path, stat) of a regular file next to the original, or None;
        one that leads out of the mount (a symlink) is not used."""
        try:
            found = self._real_file(root, path)
        except OSError:
            return None
        if found is None or type(found) is Refusal or not stat_module.S_ISREG(found[1].st_mode):
            return None
        return found

    def _index_of(self, root, directory):
        """The first static-index file of a directory."""
        for name in self.index:
            found = self._real_file(root, directory + '/' + name)
            if found is not None and (type(found) is Refusal or stat_module.S_ISREG(found[1].st_mode)):
                return found
        return None

    def _compressible(self, path):
        """static-gzip-all, static-gzip-dir, static-gzip-ext and static-gzip, over the real path."""
        return (self.gzip_all or (bool(self.gzip_dirs) and path.startswith(self.gzip_dirs))
                or (bool(self.gzip_exts) and path.endswith(self.gzip_exts))
                or any(pattern.search(path) for pattern in self.gzip_patterns))

    # --- what is sent (files.ts) ------------------------------------------------------------------

    def content_type(self, path):
        """The Content-Type of a file by its extension (application/octet-stream when unknown)."""
        ext = _extname(path)[1:].lower()
        return self.mime_types.get(ext, _UNKNOWN_TYPE) if ext else _UNKNOWN_TYPE

    def expiry(self, path, environ, content_type):
        """(seconds, from_mtime) of the first expiry rule that matches, in uWSGI's order, or None."""
        type_ = content_type.split(';')[0]
        for subject, pattern, seconds, from_mtime in self.expires:
            if subject == 'type':
                if pattern == type_:
                    return seconds, from_mtime
                continue
            value = (path if subject == 'filename' else environ.get('PATH_INFO', '') if subject == 'path_info'
                     else request_uri(environ))
            if pattern.search(value):
                return seconds, from_mtime
        return None

    def serve(self, conn, environ):
        """Answers the request on `conn` if a static mount has its file (or refuses it) and returns
        True; False when the app gets it."""
        method = environ.get('REQUEST_METHOD', '')
        found = self.look_up(method, environ.get('PATH_INFO', ''))
        if found is None:
            return False
        if type(found) is not Refusal:
            try:
                found = self.find(found)
            except OSError as exc:
                self._refuse(conn, environ, 'internalError', 'the static file cannot be read: %s' % exc)
                return True
            if found is None:
                return False
        if type(found) is Refusal:
            if found.answer == 'notFound':
                # a dot file: not found, as if it were not there (the request line alone says so)
                _answer(conn, environ, 'notFound')
            else:
                self._refuse(conn, environ, found.answer, found.why)
            return True
        self._send(conn, environ, method, found)
        return True

    def _send(self, conn, environ, method, found):
        encoding = None
        if found.compressible:
            encoding = choose_encoding(environ.get('HTTP_ACCEPT_ENCODING'), found.br is not None, found.gzip is not None)
        path, info = found.br if encoding == 'br' else found.gzip if encoding == 'gzip' else (found.path, found.stat)
        content_type = self.content_type(found.path)
        meta = FileMeta(info, content_type, encoding, found.compressible)
        if self.expires:
            meta.expires = self.expiry(found.path, environ, content_type)
        if self.serve_mode != 'raw':
            self._name_file(conn, environ, path, meta)
            return
        status, head, start, length = respond_with_file(method, environ, meta, int(time.time() * 1000))
        if status == 412:
            _answer(conn, environ, 'preconditionFailed')
            return
        if status == 416:
            _answer(conn, environ, 'rangeNotSatisfiable', ('Content-Range', 'bytes */%d' % meta.size))
            return
        fd = -1
        if length > 0:
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError as exc:
                self._refuse(conn, environ, 'internalError', 'the static file cannot be read: %s' % exc)
                return
        try:
            conn.file_head(['%d %s' % (status, REASONS[status])] + head)
            if length > 0 and conn.sendfile(fd, start, length) < length:
                # the file shrank, or nginx went away: the connection is reset, not taken for a whole response
                conn.broken = True
            conn.end()
        finally:
            if fd >= 0:
                os.close(fd)

    def _name_file(self, conn, environ, path, meta):
        """file-serve-mode: nginx (X-Accel-Redirect) or another front (X-Sendfile) sends the file named."""
        header = 'X-Sendfile' if self.serve_mode == 'x-sendfile' else 'X-Accel-Redirect'
        if _BAD_HEADER_CHAR(path):
            self._refuse(conn, environ, 'internalError',
                         'the static file\'s head cannot be sent: Invalid character in header content ["%s"]' % header)
            return
        head = ['200 OK', 'Content-Type', meta.content_type, 'Last-Modified', meta.last_modified, header, path,
                'Content-Length', '0']
        if meta.encoding is not None:
            head += ('Content-Encoding', meta.encoding)
        conn.file_head(head)
        conn.end()

    @staticmethod
    def _refuse(conn, environ, name, why):
        """An answer from the table with its log line: `GET /x from 127.0.0.1: why: answered 403`."""
        log(answers.line(name, '%s %s from %s' % (
            environ.get('REQUEST_METHOD', ''), request_uri(environ), environ.get('REMOTE_ADDR', '')), why))
        _answer(conn, environ, name)


def _answer(conn, environ, name, more=()):
    """A whole answer from the master's table, as the master's listeners send it: without
    add-header, and without its body for HEAD."""
    conn.answer_head(answers.head(name) + list(more))
    if environ.get('REQUEST_METHOD') != 'HEAD':
        conn.body(answers.body(name))
    conn.end()


def _compile(source, option):
    """The master checked the expression with JavaScript's RegExp; Python's re reads the usual ones
    the same way. One it cannot read is left out, with a line saying so."""
    try:
        return re.compile(source)
    except re.error as exc:
        log('%s %r: the worker cannot use this regular expression (%s); on the uwsgi sockets it matches nothing'
            % (option, source, exc))
        return None


def _is_under(path, directory):
    return path == directory or directory == '/' or (path.startswith(directory) and path[len(directory):len(directory) + 1] == '/')


def _extname(path):
    """node's path.extname: from the last '.' of the last segment, '' for a name that starts with
    its only dot, and for '..'."""
    base = path[path.rfind('/') + 1:]
    dot = base.rfind('.')
    if dot <= 0 or base == '..':
        return ''
    return base[dot:]
