"""A stand-in for the Node master: starts a real worker process with the channel on fd 3 and speaks
docs/channel.md to it, so tests can drive the worker exactly as the master does."""

import json
import os
import socket
import subprocess
import sys
import tempfile

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON_DIR = os.path.join(REPO_ROOT, 'python')
FIXTURE_APPS = os.path.join(REPO_ROOT, 'test', 'fixtureapps')
sys.path.insert(0, PYTHON_DIR)

from nuwsgi_worker.channel import (  # noqa: E402  (needs the path above)
    ABORTED, APP_EXCEPTION, BODY, BODY_CREDIT, BODY_END, CANCEL, CONFIG, EXPECT_CONTINUE, FILE_REGION, FILE_TAKEN, FROM_WORKER,
    HAS_BODY, READY, REQUEST, RESPONSE_ABORT, RESPONSE_BODY, RESPONSE_CREDIT, RESPONSE_END, RESPONSE_FILE,
    RESPONSE_HEAD, STOP, HEADER_SIZE, FrameDecoder, decode_u32, encode_frame, encode_u32,
)



def _answer_table():
    """The master's answer table (src/listeners/answers.ts), as CONFIG carries it: from
    NUWSGI_TEST_ANSWERS (test/python-worker.test.ts sets it), else from the built master."""
    text = os.environ.get('NUWSGI_TEST_ANSWERS')
    if text is None:
        module = os.path.join(REPO_ROOT, 'dist', 'src', 'listeners', 'answers.js')
        script = 'import(process.argv[1]).then((m) => console.log(JSON.stringify(m.answersForWorkers())))'
        try:
            text = subprocess.run(['node', '-e', script, module], check=True, capture_output=True, text=True).stdout
        except (OSError, subprocess.CalledProcessError) as exc:
            raise RuntimeError('the answer table comes from the built master: run `npx tsc -p .` first (%s)' % exc)
    return json.loads(text)


ANSWERS = _answer_table()

# The command line the master uses.
LAUNCH = 'import sys; sys.path.insert(1, sys.argv.pop(1)); from nuwsgi_worker.main import main; main()'

DEFAULT_CONFIG = {
    'worker_id': 1,
    'master_pid': 0,
    'processes': 1,
    'threads': 1,
    'mode': 'threads',
    'app': {'wsgi_file': None, 'module': None, 'callable': 'application'},
    'pythonpath': [],
    'catch_exceptions': False,
    'request_body_window': 262144,
    'response_window': 262144,
    'answers': ANSWERS,
    'options': {},
}


def environ_block(environ):
    """The REQUEST payload for a dict of CGI variables."""
    return '\0'.join(part for item in environ.items() for part in item).encode('latin-1')


def make_environ(path='/', method='GET', query='', headers=(), **extra):
    environ = {
        'REQUEST_METHOD': method,
        'SCRIPT_NAME': '',
        'PATH_INFO': path,
        'QUERY_STRING': query,
        'REQUEST_URI': path + ('?' + query if query else ''),
        'SERVER_NAME': 'localhost',
        'SERVER_PORT': '8000',
        'SERVER_PROTOCOL': 'HTTP/1.1',
        'REMOTE_ADDR': '127.0.0.1',
        'REMOTE_PORT': '40000',
        'wsgi.url_scheme': 'http',
    }
    for name, value in headers:
        environ['HTTP_' + name.upper().replace('-', '_')] = value
    environ.update(extra)
    return environ


class Response:
    """Everything the worker sent for one request."""

    def __init__(self, id_):
        self.id = id_
        self.status = None
        self.headers = []
        self.body = b''
        self.body_frames = []
        self.terminal = None
        self.abort_reason = None
        self.body_credits = []
        # RESPONSE_FILE's (fd, offset, count), if the worker sent one
        self.file = None

    def header(self, name):
        values = [v for n, v in self.headers if n.lower() == name.lower()]
        return values[0] if values else None

    def __repr__(self):
        return '<Response %s %r %r terminal=0x%02x %r>' % (
            self.status, self.headers, self.body[:200], self.terminal or 0, self.abort_reason)


class FakeMaster:
    def __init__(self, app=None, config=None, cwd=FIXTURE_APPS, env=None, launch_args=None):
        self.config = dict(DEFAULT_CONFIG)
        self.config['app'] = dict(DEFAULT_CONFIG['app'], **(app or {}))
        self.config.update(config or {})
        self.sock, child = socket.socketpair()
        self.sock.settimeout(20)
        self.stdout = tempfile.TemporaryFile()
        self.stderr = tempfile.TemporaryFile()
        child_fd = child.fileno()

        def put_channel_on_fd_3():
            if child_fd == 3:
                os.set_inheritable(3, True)
            else:
                os.dup2(child_fd, 3)

        args = launch_args if launch_args is not None else [sys.executable, '-c', LAUNCH, PYTHON_DIR]
        self.proc = subprocess.Popen(
            args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=self.stdout, stderr=self.stderr,
            close_fds=False, preexec_fn=put_channel_on_fd_3)
        child.close()
        # whole frames, pieces not handed out: the tests look at the sizes of the body frames
        self.decoder = FrameDecoder(FROM_WORKER, streamed=frozenset())
        self.frames = []
        # APP_EXCEPTION frames seen: the exceptions the app raised.
        self.exceptions = 0
        self.owed_credit = {}
        self.last_id = 0

    # -- lifecycle --

    def start(self):
        """Sends CONFIG and returns the READY payload."""
        self.send(CONFIG, 0, json.dumps(self.config).encode())
        type_, _, _, payload = self.read_frame()
        if type_ != READY:
            raise AssertionError('expected READY, got 0x%02x %r' % (type_, payload))
        return json.loads(payload.decode())

    def stop(self):
        """Sends STOP and returns the exit status."""
        self.send(STOP, 0)
        return self.wait()

    def wait(self, timeout=20):
        try:
            return self.proc.wait(timeout)
        finally:
            self.sock.close()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.sock.close()
        self.stdout.close()
        self.stderr.close()

    def output(self, stream='stderr'):
        f = getattr(self, stream)
        f.seek(0)
        return f.read().decode('utf-8', 'replace')

    # -- frames --

    def send(self, type_, id_, payload=b'', flags=0):
        self.sock.sendall(encode_frame(type_, id_, payload, flags))

    def read_frame(self):
        while not self.frames:
            self._return_credit()
            data = self.sock.recv(1 << 20)
            if not data:
                raise EOFError('the worker closed the channel')
            for frame in self.decoder.feed(data):
                if frame[0] == APP_EXCEPTION:
                    self.exceptions += 1
                else:
                    self.frames.append(frame)
        return self.frames.pop(0)

    def _return_credit(self):
        """Returns the response credit owed, in one write, before blocking to read: as the real
        master does once per event-loop turn. (One small write per frame, while frames wait unread,
        can fill both socket buffers: AF_UNIX charges every small write about 1 KiB of buffer.)"""
        if self.owed_credit:
            self.sock.sendall(b''.join(
                encode_frame(RESPONSE_CREDIT, id_, encode_u32(n)) for id_, n in self.owed_credit.items()))
            self.owed_credit.clear()

    def send_request(self, environ, flags=0):
        self.last_id += 1
        self.send(REQUEST, self.last_id, environ_block(environ), flags)
        return self.last_id

    def read_response(self, id_, return_credit=True):
        """Reads frames until the terminal frame of request `id_`, returning response credit as the
        body arrives unless told not to."""
        response = Response(id_)
        while response.terminal is None:
            self._take(response, self.read_frame(), return_credit)
        return response

    def read_until_file(self, id_):
        """Reads the frames of request `id_` up to its RESPONSE_FILE; returns the Response so far."""
        response = Response(id_)
        while response.file is None:
            self._take(response, self.read_frame(), True)
            if response.terminal is not None:
                raise AssertionError('the request ended without RESPONSE_FILE: %r' % response)
        return response

    def read_rest(self, response):
        """Reads the rest of `response` (from read_until_file) up to its terminal frame."""
        while response.terminal is None:
            self._take(response, self.read_frame(), True)
        return response

    def read_responses(self, ids):
        """Reads frames until every request in `ids` has its terminal frame, in whatever order a
        threaded worker interleaves them, returning response credit as the bodies arrive. The body
        credit other requests grant meanwhile is skipped."""
        responses = {id_: Response(id_) for id_ in ids}
        while any(response.terminal is None for response in responses.values()):
            frame = self.read_frame()
            if frame[2] not in responses and frame[0] == BODY_CREDIT:
                continue
            self._take(responses[frame[2]], frame, True)
        return responses

    def _take(self, response, frame, return_credit):
        type_, _, id_, payload = frame
        if id_ != response.id:
            raise AssertionError('frame 0x%02x for request %d while reading request %d' % (type_, id_, response.id))
        if type_ == RESPONSE_HEAD:
            if response.status is not None:
                raise AssertionError('two RESPONSE_HEAD frames')
            fields = payload.decode('latin-1').split('\0')
            response.status = fields[0]
            response.headers = list(zip(fields[1::2], fields[2::2]))
        elif type_ == RESPONSE_BODY:
            if response.status is None:
                raise AssertionError('RESPONSE_BODY before RESPONSE_HEAD')
            response.body += payload
            response.body_frames.append(len(payload))
            if return_credit:
                self.owed_credit[id_] = self.owed_credit.get(id_, 0) + len(payload)
        elif type_ == BODY_CREDIT:
            response.body_credits.append(decode_u32(payload))
        elif type_ == RESPONSE_FILE:
            if response.status is None or response.file is not None:
                raise AssertionError('RESPONSE_FILE before RESPONSE_HEAD, or a second one')
            fd, offset, count = FILE_REGION.unpack(payload)
            response.file = (fd, int(offset), int(count))
        elif type_ in (RESPONSE_END, RESPONSE_ABORT):
            response.terminal = type_
            if type_ == RESPONSE_ABORT:
                response.abort_reason = payload.decode()
        else:
            raise AssertionError('unexpected frame 0x%02x' % type_)

    def request(self, path='/', body=None, chunk_size=65536, expect_continue=False, abort_body=False, **kwargs):
        """One complete exchange: sends the request and its body as the worker's credit allows, and
        returns the Response."""
        environ = make_environ(path, **kwargs)
        if body is not None and 'CONTENT_LENGTH' not in environ and not abort_body:
            environ['CONTENT_LENGTH'] = str(len(body))
        flags = (HAS_BODY if body is not None else 0) | (EXPECT_CONTINUE if expect_continue else 0)
        id_ = self.send_request(environ, flags)
        response = Response(id_)
        credit = 0 if expect_continue else self.config['request_body_window']
        remaining = memoryview(body) if body is not None else None
        while response.terminal is None:
            while remaining is not None and credit > 0 and remaining:
                size = min(credit, chunk_size, len(remaining))
                self.send(BODY, id_, bytes(remaining[:size]))
                remaining = remaining[size:]
                credit -= size
            if remaining is not None and not remaining:
                self.send(BODY_END, id_, flags=ABORTED if abort_body else 0)
                remaining = None
            frame = self.read_frame()
            self._take(response, frame, True)
            if frame[0] == BODY_CREDIT:
                credit += decode_u32(frame[3])
        return response


__all__ = [
    'FakeMaster', 'Response', 'make_environ', 'environ_block', 'FIXTURE_APPS', 'LAUNCH', 'PYTHON_DIR', 'REPO_ROOT',
    'ABORTED', 'BODY', 'BODY_CREDIT', 'BODY_END', 'CANCEL', 'CONFIG', 'EXPECT_CONTINUE', 'HAS_BODY',
    'READY', 'REQUEST', 'RESPONSE_ABORT', 'RESPONSE_BODY', 'RESPONSE_CREDIT', 'RESPONSE_END',
    'RESPONSE_HEAD', 'STOP', 'HEADER_SIZE', 'encode_frame', 'encode_u32', 'decode_u32',
    'FILE_REGION', 'FILE_TAKEN', 'RESPONSE_FILE',
]
