"""Tests of the Python worker (python/nuwsgi_worker). From the repository root:

    python3 -m unittest discover -s test/python -t . -v
"""

# Puts python/ on sys.path, so that every test module can import nuwsgi_worker, and gives the
# worker's modules the master's answer table, as CONFIG does.
from . import fake_master
from nuwsgi_worker import answers  # noqa: E402  (needs the path fake_master sets)

answers.install(fake_master.ANSWERS)
