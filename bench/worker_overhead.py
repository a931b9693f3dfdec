"""Per-request overhead of the Python worker on a hello-world app, without the Node master.

Two measurements:

- in-process (default): the worker's pump, request loop and app run in this process on one end of a
  socketpair, and the same thread plays the master on the other end: send a REQUEST, let the worker
  take it and answer, read the answer. Everything the worker does per request is timed, real socket
  calls included, with no scheduler noise; the fake master's own send and recv are included too.
  --profile runs this under cProfile and prints the top functions.
- --process: a real worker process, the master keeping --inflight requests outstanding (the real
  master sends at most `threads` at once; more shows what batching does). Reports the worker's CPU
  time per request from /proc/PID/schedstat (Linux), which includes the cost of being woken up.

    python3 bench/worker_overhead.py [--requests 20000] [--profile]
    python3 bench/worker_overhead.py --process [--inflight 1]
"""

import argparse
import cProfile
import os
import pstats
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'python'))

from fake_master import (  # noqa: E402
    HEADER_SIZE, REQUEST, RESPONSE_END, STOP, FakeMaster, encode_frame, environ_block, make_environ,
)
from nuwsgi_worker.environ import base_environ  # noqa: E402  (fake_master puts it on sys.path)
from nuwsgi_worker.pump import Pump  # noqa: E402
from nuwsgi_worker.worker import Worker  # noqa: E402

HELLO = '''\
def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '13')])
    return [b'Hello, World!']
'''
WINDOW = 262144
ENVIRON_BLOCK = environ_block(make_environ('/', headers=[('Host', 'localhost:8000'), ('User-Agent', 'bench')]))


def in_process(requests, profile):
    namespace = {}
    exec(HELLO, namespace)
    master_end, worker_end = socket.socketpair()
    pump = Pump(worker_end)
    pump.response_window = WINDOW
    worker = Worker(pump, namespace['application'], base_environ({}), WINDOW, False)

    def loop(first_id, count):
        for id_ in range(first_id, first_id + count):
            master_end.sendall(encode_frame(REQUEST, id_, ENVIRON_BLOCK))
            worker.handle(pump.next_request())
            pump.flush()
            master_end.recv(65536)

    loop(1, 1000)
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.runcall(loop, 1001, requests)
    else:
        loop(1001, requests)
    elapsed = time.perf_counter() - started
    print('in-process, %d requests: %.1f us/request' % (requests, elapsed * 1e6 / requests))
    if profiler:
        pstats.Stats(profiler).sort_stats('tottime').print_stats(20)


def cpu_ns(pid):
    with open('/proc/%d/schedstat' % pid) as f:
        return int(f.read().split()[0])


def in_subprocess(requests, inflight):
    app_dir = tempfile.mkdtemp()
    with open(os.path.join(app_dir, 'hello.py'), 'w') as f:
        f.write(HELLO)
    master = FakeMaster(app={'module': 'hello'}, cwd=app_dir)
    master.start()
    sock = master.sock
    for count in (1000, requests):  # warm-up, then the measured run
        sent = done = 0
        buffered = b''
        started = time.perf_counter()
        cpu_before = cpu_ns(master.proc.pid)
        while done < count:
            while sent < count and sent - done < inflight:
                master.last_id += 1
                sock.sendall(encode_frame(REQUEST, master.last_id, ENVIRON_BLOCK))
                sent += 1
            buffered += sock.recv(1 << 20)
            pos = 0
            while len(buffered) - pos >= HEADER_SIZE:
                length = int.from_bytes(buffered[pos + 8:pos + 12], 'little')
                if len(buffered) - pos < HEADER_SIZE + length:
                    break
                if buffered[pos] == RESPONSE_END:
                    done += 1
                pos += HEADER_SIZE + length
            buffered = buffered[pos:]
        elapsed = time.perf_counter() - started
        cpu = cpu_ns(master.proc.pid) - cpu_before
    sock.sendall(encode_frame(STOP, 0))
    status = master.wait()
    print('worker process, %d requests, %d in flight: worker CPU %.1f us/request, round trip %.1f us/request (exit %d)'
          % (requests, inflight, cpu / 1000 / requests, elapsed * 1e6 / requests, status))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--requests', type=int, default=20000)
    parser.add_argument('--profile', action='store_true', help='profile the in-process run')
    parser.add_argument('--process', action='store_true', help='measure a real worker process')
    parser.add_argument('--inflight', type=int, default=1, help='with --process: requests outstanding')
    args = parser.parse_args()
    if args.process:
        in_subprocess(args.requests, args.inflight)
    else:
        in_process(args.requests, args.profile)


if __name__ == '__main__':
    main()
