"""What the command tests share: the binaries under test, running them, a naive reference, and
the test case base with its temporary directory.

Each test/cli/test_*.py is run as
    python3 test/cli/test_NAME.py PATH_TO_ELVIS PATH_TO_ELVIS_WITH_TEST_HOOKS [unittest arguments]
(meson test does); importing this module takes the two paths off sys.argv.
"""
import collections
import contextlib
import os
import random
import re
import resource
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

if len(sys.argv) < 3:
    sys.exit("usage: %s PATH_TO_ELVIS PATH_TO_ELVIS_WITH_TEST_HOOKS [unittest arguments]" % sys.argv[0])
ELVIS = os.path.abspath(sys.argv.pop(1))
# The same command with test/support/env_hooks.cpp: ELVIS_TEST_* variables inject failures.
ELVIS_HOOKED = os.path.abspath(sys.argv.pop(1))
BACKENDS = ["posix", "uring"]

REFERENCE_TABLE = [
    ("abc", "abc"), ("elvis", "Elvis"), ("aElvis", "aElvis"), ("abcelvis", "abcElvis"),
    ("eelvis", "eElvis"), ("aelvis", "aElvis"), ("aabeeeelvis", "aabeeeElvis"),
    ("e l v i s", "e l v i s"), ("aa bb e l v i saa", "aa bb e l v i saa"), (" elvi s", " elvi s"),
    ("elvielvis", "elviElvis"), ("elvielvielviselvi1", "elvielviElviselvi1"),
    ("elvielviselvis", "elviElvisElvis"),
]


def uring_available():
    """io_uring is refused by some kernels and sandboxes; those runs skip the uring half."""
    r = subprocess.run([ELVIS, "--io=uring"], input=b"", capture_output=True)
    return r.returncode == 0


def run(args, data=b"", env=None, **kw):
    full_env = dict(os.environ)
    full_env.pop("ELVIS_IO", None)
    if env:
        full_env.update(env)
    hooked = any(name.startswith("ELVIS_TEST_") for name in env or {})
    return subprocess.run([ELVIS_HOOKED if hooked else ELVIS] + args, input=data, capture_output=True, env=full_env,
                          timeout=120, **kw)


def unprivileged(cmd):
    """Runs cmd as nobody when we are root, so that file permissions apply to it."""
    if os.geteuid() == 0:
        return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
    return cmd


def reference_rewrite(data, pairs):
    out, i = bytearray(), 0
    while i < len(data):
        best = None
        for find, rep in pairs:
            if data.startswith(find, i) and (best is None or len(find) > len(best[0])):
                best = (find, rep)
        if best:
            out += best[1]
            i += len(best[0])
        else:
            out.append(data[i])
            i += 1
    return bytes(out)


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    @contextlib.contextmanager
    def small_tmpfs(self, size, required=True):
        """A directory with a tmpfs of `size` mounted on it, to fill up for real, unmounted on the
        way out. Without root it stays a plain directory (os.path.ismount tells), or the test is
        skipped when `required`."""
        mnt = os.path.join(self.dir, "small-tmpfs")
        os.makedirs(mnt)
        mounted = os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", mnt],
                                                       capture_output=True).returncode == 0
        if not mounted and required:
            self.skipTest("needs root to mount a small tmpfs")
        try:
            yield mnt
        finally:
            if mounted:
                subprocess.run(["umount", mnt])

    @staticmethod
    def read(path):
        with open(path, "rb") as f:
            return f.read()

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def backends(self):
        return BACKENDS if uring_available() else ["posix"]
