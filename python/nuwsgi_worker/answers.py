"""The master's answer table (CONFIG's `answers`, docs/channel.md): the small responses a worker
makes itself, in the master's words, so that a 413 reads the same from either side of the channel.
They are the 400, 413 and 431 of the uwsgi sockets (badRequest, bodyTooLarge, headTooLarge), the
500 of an app that failed before its head (internalError), and the watchdog's 504 (harakiri). Each
is `STATUS REASON\\n` in text/plain, with its extra headers.
"""

_TABLE = {}


def install(table):
    """CONFIG's answers: {"bodyTooLarge": {"status", "reason", "body", "headers", "option"}, ...}."""
    _TABLE.clear()
    _TABLE.update(table)


def status(name):
    return _TABLE[name]['status']


def status_line(name):
    """'413 Payload Too Large'."""
    answer = _TABLE[name]
    return '%d %s' % (answer['status'], answer['reason'])


def body(name):
    return _TABLE[name]['body'].encode('latin-1')


def head(name, length=None):
    """The head fields of the answer: [status line, name, value, ...], for a body of `length`
    bytes (the table's own body when None)."""
    answer = _TABLE[name]
    size = len(answer['body']) if length is None else length
    return [status_line(name), 'Content-Type', 'text/plain', 'Content-Length', str(size)] + list(answer['headers'])


def line(name, subject, why):
    """The log line: 'subject: why: answered 413; raise it with --limit-post'."""
    answer = _TABLE[name]
    option = answer['option']
    return '%s: %s: answered %d%s' % (subject, why, answer['status'], '' if option is None else '; raise it with --' + option)
