"""A worker with threads > 1 (threaded_pump.ThreadedPump): requests run at once, each one's frames
still reach the right request, and STOP and EOF behave as in the single-threaded worker."""

import json
import subprocess
import sys
import time
import unittest

from .fake_master import (
    BODY, BODY_END, HAS_BODY, PYTHON_DIR, RESPONSE_END, STOP, FakeMaster, make_environ,
)

# A ThreadedPump on one end of a socketpair, a thread of it waiting in poll() for a connection
# that never comes, and a connection served meanwhile by another thread: its REQUEST_DONE record
# must still reach the other end. Run in a process of its own, since the pump exits the process
# when its channel closes.
RECORD_WHILE_ACCEPTING = '''
import os, socket, sys, threading, time
from types import SimpleNamespace
from nuwsgi_worker.channel import FrameDecoder, REQUEST_DONE, HEADER_SIZE
from nuwsgi_worker.threaded_pump import ThreadedPump
master, worker = socket.socketpair()
pump = ThreadedPump(SimpleNamespace(sock=worker, decoder=FrameDecoder(), config={}, response_window=1 << 20,
                                    stopping=False, paused=False, requests_served=0))
listening = socket.socket()
listening.bind(('127.0.0.1', 0))
listening.listen()
pump.start_accepting(SimpleNamespace(fds=[listening.fileno()], accept=lambda: None))
threading.Thread(target=pump.next_request, daemon=True).start()
deadline = time.monotonic() + 5
while not pump.accepting and time.monotonic() < deadline:
    time.sleep(0.01)
pump.send_record(b'record')
pump.connection_done()
master.settimeout(5)
try:
    data = master.recv(HEADER_SIZE + 6)
except socket.timeout:
    data = b''
sys.stdout.write('sent' if data[:1] == bytes([REQUEST_DONE]) else 'not sent')
sys.stdout.flush()
os._exit(0)
'''


def threaded_master(module, threads=4):
    master = FakeMaster(app={'module': module}, config={'threads': threads})
    master.start()
    return master


class ConcurrencyTest(unittest.TestCase):
    def test_slow_requests_run_at_once(self):
        master = threaded_master('slow')
        self.addCleanup(master.kill)
        started = time.monotonic()
        ids = [master.send_request(make_environ('/', query='sleep=0.5&id=%d' % n)) for n in range(4)]
        responses = master.read_responses(ids)
        elapsed = time.monotonic() - started
        self.assertEqual(sorted(r.body for r in responses.values()),
                         [b'slept 0.5 (%d)' % n for n in range(4)])
        self.assertLess(elapsed, 1.5, 'four 0.5 s requests on four threads took %.2f s' % elapsed)

    def test_requests_beyond_the_threads_wait_their_turn(self):
        master = threaded_master('slow', threads=2)
        self.addCleanup(master.kill)
        started = time.monotonic()
        ids = [master.send_request(make_environ('/', query='sleep=0.3')) for _ in range(4)]
        master.read_responses(ids)
        self.assertGreaterEqual(time.monotonic() - started, 0.6)

    def test_wsgi_multithread_is_true(self):
        master = threaded_master('echo')
        self.addCleanup(master.kill)
        wsgi = json.loads(master.request('/').body)['wsgi']
        self.assertIs(wsgi['wsgi.multithread']['value'], True)

    def test_a_request_waiting_for_its_body_does_not_hold_up_the_others(self):
        master = threaded_master('echo')
        self.addCleanup(master.kill)
        waiting = master.send_request(make_environ('/', method='POST'), HAS_BODY)
        master.send(BODY, waiting, b'first ')
        quick = master.send_request(make_environ('/quick'))
        self.assertEqual(json.loads(master.read_responses([quick])[quick].body)['path'], '/quick')
        master.send(BODY, waiting, b'second')
        master.send(BODY_END, waiting)
        body = json.loads(master.read_responses([waiting])[waiting].body)
        self.assertEqual(body['body'], 'first second')


class RecordsTest(unittest.TestCase):
    def test_a_record_leaves_while_another_thread_waits_for_a_connection(self):
        # the accepting thread's poll() had no timeout when it began: the record must wake it
        done = subprocess.run([sys.executable, '-c', 'import sys; sys.path.insert(0, sys.argv[1]); exec(sys.argv[2])',
                               PYTHON_DIR, RECORD_WHILE_ACCEPTING], capture_output=True, text=True, timeout=30)
        self.assertEqual(done.stdout, 'sent', done.stderr)


class BodiesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.master = threaded_master('echo')

    @classmethod
    def tearDownClass(cls):
        cls.master.kill()

    def test_a_body_larger_than_the_window_arrives_whole(self):
        body = bytes(range(256)) * 4096
        response = self.master.request('/', body=body, method='POST', chunk_size=50000)
        self.assertEqual(json.loads(response.body)['body_len'], len(body))
        self.assertTrue(response.body_credits, 'the worker granted more body credit')

    def test_expect_continue_waits_for_the_first_read(self):
        response = self.master.request('/', body=b'x' * 1000, method='POST', expect_continue=True)
        self.assertEqual(json.loads(response.body)['body_len'], 1000)


class StreamingTest(unittest.TestCase):
    def test_a_download_larger_than_the_credit_window(self):
        master = threaded_master('streaming')
        self.addCleanup(master.kill)
        size = 3 * master.config['response_window'] + 12345
        ids = [master.send_request(make_environ('/download', query='bytes=%d' % size)) for _ in range(3)]
        responses = master.read_responses(ids)
        for response in responses.values():
            self.assertEqual((response.terminal, len(response.body)), (RESPONSE_END, size))


class LifecycleTest(unittest.TestCase):
    def test_stop_finishes_the_requests_in_flight(self):
        master = threaded_master('slow')
        self.addCleanup(master.kill)
        ids = [master.send_request(make_environ('/', query='sleep=0.3')) for _ in range(2)]
        master.send(STOP, 0)
        responses = master.read_responses(ids)
        self.assertTrue(all(r.terminal == RESPONSE_END for r in responses.values()))
        self.assertEqual(master.wait(), 0)

    def test_eof_while_requests_wait_for_their_body_exits_at_once(self):
        master = threaded_master('echo')
        self.addCleanup(master.kill)
        master.send_request(make_environ('/', method='POST'), HAS_BODY)
        master.send_request(make_environ('/', method='POST'), HAS_BODY)
        time.sleep(0.2)
        master.sock.shutdown(1)
        self.assertEqual(master.proc.wait(5), 0)
