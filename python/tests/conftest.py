"""Test setup: import the package from this checkout, bound every test in time."""

import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TEST_SECONDS = 30


@pytest.fixture(autouse=True)
def time_bound():
    """Fails a test that runs longer than TEST_SECONDS (SIGALRM)."""

    def expired(signum, frame):
        raise TimeoutError(f"test ran longer than {TEST_SECONDS} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(TEST_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
