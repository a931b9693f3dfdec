"""Which files a request's PATH_INFO may name under the static mounts, before anything touches the
disk: the master's src/router/static/lookup.ts, step for step, for the uwsgi sockets (static_files.py
looks the candidates up on disk).

A path that tries to leave its mount is refused here in every spelling: PATH_INFO is already
percent-decoded (so %2e%2e and %2f arrive as '..' and '/'), and a '.' or '..' segment, a backslash,
a NUL or bytes that are not UTF-8 (overlong forms included) are refused outright rather than
normalised. Symlinks are the disk's business.
"""

import re

_NON_ASCII = re.compile('[\x80-\xff]').search


class Refusal:
    """A request refused: 403 for a path leading out of its mount, 404 for a hidden (dot) file."""
    __slots__ = ('answer', 'why')

    def __init__(self, answer, why):
        self.answer = answer
        self.why = why


class Mount:
    __slots__ = ('prefix', 'root', 'file', 'keep_prefix')

    def __init__(self, spec):
        # the PATH_INFO prefix it serves ('' for check-static), the real path of its directory or
        # its one file, and static-map2's lookup of the whole PATH_INFO under the root
        self.prefix = spec['prefix']
        self.root = spec['root']
        self.file = bool(spec['file'])
        self.keep_prefix = bool(spec['keep_prefix'])


def look_up(mounts, skip_ext, method, path_info):
    """What `method` and `path_info` (percent-decoded, latin-1) may be served from: None when no
    mount serves the request (the app gets it), a Refusal, or the candidate [(mount, path)] to try
    in order (when none exists the app gets it). `mounts` are longest prefix first."""
    # uWSGI serves only these; the app answers other methods, even under a mount
    if method != 'GET' and method != 'HEAD':
        return None
    if skip_ext and path_info.endswith(skip_ext):
        return None
    candidates = None
    for mount in mounts:
        rest = _relative_part(mount, path_info)
        if rest is None:
            continue
        name = _vet_relative(rest)
        if type(name) is Refusal:
            return name
        if candidates is None:
            candidates = []
        candidates.append((mount, mount.root if mount.file or name == '' else mount.root + '/' + name))
    return candidates


def _relative_part(mount, path_info):
    """The part of PATH_INFO `mount` looks up under its root, without the leading '/'; None when
    it does not serve it."""
    prefix = mount.prefix
    # the prefix must end at a segment: /static serves /static and /static/x, never /staticx
    if not path_info.startswith(prefix):
        return None
    if len(path_info) > len(prefix) and path_info[len(prefix)] != '/' and prefix != '':
        return None
    if mount.file:
        return '' if len(path_info) == len(prefix) else None
    rest = path_info if mount.keep_prefix else path_info[len(prefix):]
    return rest.lstrip('/')


def _vet_relative(rest):
    """The relative path as a file name (UTF-8 decoded), or the Refusal of it."""
    if '\\' in rest:
        return Refusal('forbidden', 'a backslash in the path')
    if '\0' in rest:
        return Refusal('forbidden', 'a NUL byte in the path')
    name = rest
    # latin-1 characters are the bytes: above 0x7f they must be UTF-8
    if _NON_ASCII(rest):
        try:
            name = rest.encode('latin-1').decode('utf-8')
        except UnicodeError:
            return Refusal('forbidden', 'the path is not valid UTF-8')
    hidden = False
    for segment in rest.split('/'):
        if segment == '..' or segment == '.':
            return Refusal('forbidden', "a '%s' segment in the path" % segment)
        if segment.startswith('.'):
            hidden = True
    # dot files stay hidden, as send's default has it (.git, .env, .htpasswd)
    if hidden:
        return Refusal('notFound', 'a hidden (dot) file')
    return name
