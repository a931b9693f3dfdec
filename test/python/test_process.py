"""The worker as a process: what main() sets up, STOP, master death (EOF, PR_SET_PDEATHSIG), and a
broken channel."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from .fake_master import (
    ANSWERS, BODY, BODY_CREDIT, BODY_END, CONFIG, FIXTURE_APPS, HAS_BODY, LAUNCH, PYTHON_DIR, READY, REQUEST, RESPONSE_BODY, RESPONSE_END,
    RESPONSE_HEAD, STOP, FakeMaster, encode_frame, environ_block, make_environ,
)
from .probe import ProbeTestCase


class SetupTest(ProbeTestCase):
    def test_ready_payload(self):
        self.assertEqual(self.ready['pid'], self.master.proc.pid)
        self.assertEqual(self.ready['python'], '%d.%d.%d' % sys.version_info[:3])
        self.assertEqual(self.ready['app'], "module 'worker_probe'")

    def test_process_state_seen_by_the_app(self):
        state = json.loads(self.request('/process').body)
        self.assertEqual(state['argv'], ['nuwsgi'])
        self.assertEqual(state['path'][0], '')
        self.assertNotIn(PYTHON_DIR, state['path'])
        self.assertEqual(os.path.realpath(state['cwd']), os.path.realpath(FIXTURE_APPS))
        self.assertIs(state['fd3_inheritable'], False)
        self.assertIs(state['sigint_ignored'], True)

    def test_sigint_is_ignored(self):
        os.kill(self.master.proc.pid, signal.SIGINT)
        time.sleep(0.1)
        self.assertComplete(self.request('/hello'))


class PythonPathTest(unittest.TestCase):
    def test_entries_are_globbed_and_prepended_in_order(self):
        root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, root)
        for name in ('lib_b', 'lib_a', 'other'):
            os.mkdir(os.path.join(root, name))
        pythonpath = [os.path.join(root, 'lib_*'), os.path.join(root, 'other'), os.path.join(root, 'none_*')]
        master = FakeMaster(app={'module': 'worker_probe'}, config={'pythonpath': pythonpath})
        try:
            master.start()
            path = json.loads(master.request('/process').body)['path']
            self.assertEqual(path[:5], [os.path.join(root, 'lib_a'), os.path.join(root, 'lib_b'),
                                        os.path.join(root, 'other'), os.path.join(root, 'none_*'), ''])
            self.assertEqual(master.stop(), 0)
        finally:
            master.kill()


class StopTest(unittest.TestCase):
    def setUp(self):
        self.master = FakeMaster(app={'module': 'worker_probe'})
        self.addCleanup(self.master.kill)
        self.master.start()

    def test_stop_when_idle(self):
        self.assertEqual(self.master.stop(), 0)

    def test_stop_finishes_the_request_in_flight(self):
        master = self.master
        id_ = master.send_request(make_environ('/stream-lines', method='POST'), HAS_BODY)
        master.send(BODY, id_, b'before stop\n')
        self.assertEqual(master.read_frame()[0], RESPONSE_HEAD)
        self.assertEqual(master.read_frame()[3], b'before stop\n')
        master.send(STOP, 0)
        master.send(BODY, id_, b'after stop\n')
        master.send(BODY_END, id_)
        frames = []
        while not frames or frames[-1][0] != RESPONSE_END:
            frame = master.read_frame()
            if frame[0] != BODY_CREDIT:
                frames.append(frame)
        self.assertEqual([(f[0], f[3]) for f in frames], [(RESPONSE_BODY, b'after stop\n'), (RESPONSE_END, b'')])
        self.assertEqual(master.wait(), 0)

    def test_stop_answers_the_requests_already_received(self):
        master = self.master
        block = environ_block(make_environ('/hello'))
        master.sock.sendall(encode_frame(REQUEST, 1, block) + encode_frame(REQUEST, 2, block) + encode_frame(STOP, 0))
        for id_ in (1, 2):
            self.assertEqual(master.read_response(id_, return_credit=False).body, b'Hello, World!')
        self.assertEqual(master.wait(), 0)


class MasterGoneTest(unittest.TestCase):
    def test_eof_when_idle_exits_at_once(self):
        master = FakeMaster(app={'module': 'worker_probe'})
        self.addCleanup(master.kill)
        master.start()
        master.sock.close()
        self.assertEqual(master.proc.wait(5), 0)

    def test_eof_while_the_app_waits_for_the_body(self):
        master = FakeMaster(app={'module': 'worker_probe'})
        self.addCleanup(master.kill)
        master.start()
        master.send_request(make_environ('/read', method='POST', query='how=all'), HAS_BODY)
        time.sleep(0.1)
        master.sock.close()
        self.assertEqual(master.proc.wait(5), 0)

    def test_eof_before_config(self):
        master = FakeMaster(app={'module': 'worker_probe'})
        self.addCleanup(master.kill)
        master.sock.close()
        self.assertEqual(master.proc.wait(5), 0)

    @unittest.skipUnless(sys.platform.startswith('linux'), 'PR_SET_PDEATHSIG is Linux only')
    def test_killed_when_the_parent_dies(self):
        """The master is killed but its end of the channel stays open elsewhere, so there is no EOF:
        only PR_SET_PDEATHSIG can end the worker."""
        ours, theirs = socket.socketpair()
        self.addCleanup(ours.close)
        # A middle process plays the master: it spawns the worker with fd 3 and then just sleeps.
        middle = subprocess.Popen(
            [sys.executable, '-c', (
                'import os, subprocess, sys, time; '
                'subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]], pass_fds=(3,), '
                'cwd=sys.argv[3]); time.sleep(60)'), LAUNCH, PYTHON_DIR, FIXTURE_APPS],
            close_fds=False, preexec_fn=lambda: os.dup2(theirs.fileno(), 3))
        theirs.close()
        self.addCleanup(middle.wait)
        self.addCleanup(middle.kill)
        ours.settimeout(20)
        config = dict(app={'module': 'worker_probe', 'callable': 'application'}, processes=1, threads=1,
                      request_body_window=65536, response_window=65536, answers=ANSWERS)
        ours.sendall(encode_frame(CONFIG, 0, json.dumps(config).encode()))
        header = ours.recv(12)
        self.assertEqual(header[0], READY)
        ready = json.loads(ours.recv(int.from_bytes(header[8:12], 'little')))
        worker_pid = ready['pid']
        middle.kill()
        deadline = time.monotonic() + 5
        while _alive(worker_pid):
            self.assertLess(time.monotonic(), deadline, 'the worker outlived its parent')
            time.sleep(0.05)


def _alive(pid):
    """True while `pid` runs (a zombie nobody reaped counts as dead)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


class BrokenChannelTest(unittest.TestCase):
    def test_unknown_frame_type_ends_the_worker(self):
        master = FakeMaster(app={'module': 'worker_probe'})
        self.addCleanup(master.kill)
        master.start()
        master.sock.sendall(encode_frame(0x30, 0))
        self.assertEqual(master.proc.wait(5), 1)
        self.assertIn('invalid frame from the master (unknown frame type 0x30), exiting', master.output())


if __name__ == '__main__':
    unittest.main()
