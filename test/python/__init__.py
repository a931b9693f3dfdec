"""Tests of the Python worker (python/nuwsgi_worker). From the repository root:

    python3 -m unittest discover -s test/python -t . -v
"""

# Puts python/ on sys.path, so that every test module can import nuwsgi_worker.
from . import fake_master  # noqa: F401
