"""The master's answer table (CONFIG's `answers`, docs/channel.md): the small responses a worker
makes itself, in the master's words, so that a 413 reads the same from either side of the channel.
They are the 400, 413 and 431 of the uwsgi sockets, the 500 of an app that failed before its head,
and the watchdog's 504. Each is `STATUS REASON\\n` in text/plain, with its extra headers.
"""

_TABLE = {}


def install(table):
    """CONFIG's answers: {"413": {"reason", "body", "headers", "option"}, ...}."""
    _TABLE.clear()
    for status, answer in table.items():
        _TABLE[int(status)] = answer


def status_line(status):
    """'413 Payload Too Large'."""
    return '%d %s' % (status, _TABLE[status]['reason'])


def body(status):
    return _TABLE[status]['body'].encode('latin-1')


def head(status, length=None):
    """The head fields of the answer: [status line, name, value, ...], for a body of `length`
    bytes (the table's own body when None)."""
    answer = _TABLE[status]
    size = len(answer['body']) if length is None else length
    return ['%d %s' % (status, answer['reason']), 'Content-Type', 'text/plain', 'Content-Length', str(size)] + \
        list(answer['headers'])


def line(status, subject, why):
    """The log line: 'subject: why: answered 413; raise it with --limit-post'."""
    option = _TABLE[status]['option']
    return '%s: %s: answered %d%s' % (subject, why, status, '' if option is None else '; raise it with --' + option)
