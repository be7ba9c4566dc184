#!/usr/bin/env python3
"""A real distributed count: two OpenSSH servers on the loopback interface as two hosts.

Starts sshd twice (127.0.0.1 and 127.0.0.2, ports of their own) with a throwaway host key, and a
throwaway user key for the client; GNU parallel --sshlogin splits a manifest of generated
crawl-like files (gzip, one member per record) between the two hosts, each running
`elvis count --header --warc -z` on its share through the shared directory; `elvis merge --expect
MANIFEST` of what came back must equal one local count, and both hosts must have run jobs.

Usage: ssh_test.py ELVIS. Exit 0 passed, 1 failed, 77 skipped: only when sshd cannot be started
(not installed, or it refuses to run here) or the ssh client or GNU parallel is missing, with the
reason on stderr.
"""
import gzip
import os
import random
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77


def skip(why):
    print(f"ssh_test: skipped: {why}", file=sys.stderr)
    sys.exit(SKIP)


def fail(why):
    print(f"ssh_test: FAILED: {why}", file=sys.stderr)
    sys.exit(1)


def free_port(address):
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def wait_for_port(address, port, process, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection((address, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def crawl_file(path, rng, records):
    """A WET-like file: a warcinfo record, then one gzip member per page record."""
    words = [b"elvis ", b"Elvis ", b"king ", b"the ", b"graceland\n", b"elvi", b"s ", b"WARC/1.0 "]
    with open(path, "wb") as f:
        info = b"isPartOf: test\r\n"
        f.write(gzip.compress(b"WARC/1.0\r\nWARC-Type: warcinfo\r\nContent-Length: %d\r\n\r\n%s\r\n\r\n" % (len(info), info)))
        for i in range(records):
            body = b"".join(rng.choice(words) for _ in range(rng.randrange(20, 400)))
            head = (b"WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: http://example.com/%d\r\n"
                    b"Content-Length: %d\r\n\r\n" % (i, len(body)))
            f.write(gzip.compress(head + body + b"\r\n\r\n", compresslevel=rng.choice([1, 6, 9])))


def main():
    if len(sys.argv) != 2:
        fail("usage: ssh_test.py ELVIS")
    elvis = os.path.abspath(sys.argv[1])
    sshd = shutil.which("sshd") or ("/usr/sbin/sshd" if os.path.exists("/usr/sbin/sshd") else None)
    if not sshd:
        skip("sshd is not installed (Debian: openssh-server)")
    for tool in ("ssh", "ssh-keygen", "parallel"):
        if not shutil.which(tool):
            skip(f"{tool} is not installed (Debian: openssh-client, parallel)")
    work = tempfile.mkdtemp(prefix="elvis-ssh-")
    servers = []
    try:
        keys = os.path.join(work, "keys")
        os.mkdir(keys, 0o700)
        for name in ("host", "user"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"elvis-test-{name}",
                            "-f", os.path.join(keys, name)], check=True)
        shutil.copy(os.path.join(keys, "user.pub"), os.path.join(keys, "authorized_keys"))
        if os.geteuid() == 0:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation directory
        user = subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
        hosts = []
        for n, address in enumerate(["127.0.0.1", "127.0.0.2"], 1):
            port = free_port(address)
            config = os.path.join(work, f"sshd{n}.conf")
            with open(config, "w") as f:
                f.write(f"ListenAddress {address}:{port}\nHostKey {keys}/host\nAuthorizedKeysFile {keys}/authorized_keys\n"
                        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
                        f"PermitRootLogin prohibit-password\nPidFile {work}/sshd{n}.pid\nLogLevel ERROR\n"
                        "AcceptEnv LANG LC_*\n")
            log = open(os.path.join(work, f"sshd{n}.log"), "w")
            process = subprocess.Popen([sshd, "-D", "-e", "-f", config], stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
            servers.append(process)
            if not wait_for_port(address, port, process):
                log.close()
                with open(log.name) as f:
                    skip(f"sshd could not be started on {address}:{port}: {f.read().strip() or 'no message'}")
            hosts.append((f"host{n}", address, port))
        client = os.path.join(work, "ssh_config")
        with open(client, "w") as f:
            for alias, address, port in hosts:
                f.write(f"Host {alias}\n  HostName {address}\n  Port {port}\n  User {user}\n  IdentityFile {keys}/user\n"
                        "  IdentitiesOnly yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n"
                        "  BatchMode yes\n  LogLevel ERROR\n")
        ssh = f"ssh -F {shlex.quote(client)}"
        for alias, _, _ in hosts:
            r = subprocess.run(ssh.split() + [alias, "echo", "ok"], capture_output=True, timeout=30)
            if r.stdout != b"ok\n":
                fail(f"sshd runs, but ssh to {alias} did not log in: {r.stderr.decode(errors='replace').strip()}")

        # The crawl: files in a directory both hosts reach by the same path, and their manifest.
        rng = random.Random(2024)
        data = os.path.join(work, "crawl")
        os.mkdir(data)
        paths = []
        for i in range(16):
            path = os.path.join(data, f"CC-MAIN-{i:05d}.warc.wet.gz")
            crawl_file(path, rng, rng.randrange(50, 300))
            paths.append(path)
        manifest = os.path.join(work, "wet.paths")
        with open(manifest, "w") as f:
            f.write("".join(p + "\n" for p in paths))
        terms = ["-t", "elvis", "-t", "king", "-t", "WARC/1.0"]
        # The records' payloads only: tf, df and the #warc line of records and bytes, all summed.
        count = [elvis, "count", "--header", "--warc", "-z", "-j1"] + terms
        local = subprocess.run(count + paths, capture_output=True, timeout=120)
        if local.returncode != 0:
            fail(f"the local count failed: {local.stderr.decode(errors='replace')}")

        joblog = os.path.join(work, "jobs.log")
        outputs = os.path.join(work, "out")
        os.mkdir(outputs)
        job = " ".join(shlex.quote(a) for a in count) + " {} > " + shlex.quote(outputs) + "/{#}.tsv"
        r = subprocess.run(["parallel", "--will-cite", "--ssh", ssh, "-S", "1/host1,1/host2", "--joblog", joblog,
                            "--halt", "now,fail=1", job, "::::", manifest], capture_output=True, timeout=600)
        if r.returncode != 0:
            fail(f"parallel over ssh failed ({r.returncode}): {r.stderr.decode(errors='replace')}")
        with open(joblog) as f:
            used = {line.split("\t")[1] for line in f.read().splitlines()[1:]}
        if used != {"host1", "host2"}:
            fail(f"the jobs ran on {sorted(used)}, not on both hosts")
        parts = sorted(os.path.join(outputs, name) for name in os.listdir(outputs))
        merged = subprocess.run([elvis, "merge", "--expect", manifest] + parts, capture_output=True, timeout=120)
        if merged.returncode != 0 or merged.stdout != local.stdout:
            fail(f"merge of the hosts' outputs ({merged.returncode}, {merged.stderr!r}):\n{merged.stdout!r}\n"
                 f"differs from one local count:\n{local.stdout!r}")
        # A job retried on the other host and merged twice is refused; a missing one is named.
        retried = subprocess.run([elvis, "merge", "--expect", manifest] + parts + parts[:1], capture_output=True)
        if retried.returncode != 2 or b"counted twice" not in retried.stderr:
            fail(f"a job's output merged twice was not refused: {retried.returncode} {retried.stderr!r}")
        missing = subprocess.run([elvis, "merge", "--expect", manifest] + parts[1:], capture_output=True)
        if missing.returncode != 2 or b"in the manifest, but not among the inputs" not in missing.stderr:
            fail(f"a missing job's input was not reported: {missing.returncode} {missing.stderr!r}")
        print(f"ssh_test: {len(paths)} files over host1 and host2 (parallel --sshlogin), merged = local", file=sys.stderr)
    finally:
        for process in servers:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            process.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
