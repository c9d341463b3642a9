"""Runs one multi-worker training on this machine: K processes on 127.0.0.1, each with its TF_CONFIG.

    python -m experiments.launch_local --workers=2 [--timeout=S] -- --dataset=mnist --gar=krum --n=14 ...

Every flag after `--` goes to `python -m experiments.run --strategy=multi_worker` (or to `--module`).
Each worker gets a free loopback port and TF_CONFIG = {"cluster": {"worker": [every address]}, "task":
{"type": "worker", "index": i}}; worker 0 is the chief, which writes the run's files and whose output is
streamed here. Every worker's output also goes to <log_dir>/worker-<i>.log.

The launcher stops every worker, by PID, when one of them fails (then it prints that worker's last error
and exits with its code, or 1), on --timeout (exit 124; it also catches a worker that never starts) and on
Ctrl-C (exit 130). Bad launcher flags exit with code 2.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

from absl import flags

from training import command_line

FLAGS = flags.FlagValues()
flags.DEFINE_integer("workers", None, "Processes to start (K >= 1); required.", flag_values=FLAGS)
flags.DEFINE_float("timeout", None, "Seconds before stopping them all; unset: no limit.", flag_values=FLAGS)
flags.DEFINE_string("module", "experiments.run", "The Python module each worker runs.", flag_values=FLAGS)
flags.DEFINE_string("log_dir", None, "Where worker-<i>.log go; unset: a new temporary folder.", flag_values=FLAGS)

HOST = "127.0.0.1"
STOP_GRACE_SECONDS = 5.0
POLL_SECONDS = 0.2
ERROR_LINES = 15


def free_ports(count):
    """`count` distinct ports that 127.0.0.1 can bind now (all held open while choosing)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((HOST, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def tf_config(addresses, index):
    return json.dumps({"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}})


def last_error(log_path):
    """The last lines of a worker's log, from its last traceback (or error line) on."""
    try:
        with open(log_path, errors="replace") as file:
            lines = [line.rstrip("\n") for line in file if line.strip()]
    except OSError:
        return "(no log)"
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback") or line.startswith("error:")]
    tail = lines[starts[-1]:] if starts else lines
    return "\n".join(tail[-ERROR_LINES:]) or "(empty log)"


class Worker:
    """One worker process; its stdout and stderr go to its log file, and the chief's also to ours: its
    stdout to our stdout, its stderr but for INFO log lines to our stderr."""

    def __init__(self, index, command, env, log_path, stream):
        self.index, self.log_path = index, log_path
        self.log = open(log_path, "w")
        self.lock = threading.Lock()
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        stdin=subprocess.DEVNULL, text=True, bufsize=1, start_new_session=True)
        self.readers = [threading.Thread(target=self._copy, args=(source, target if stream else None), daemon=True)
                        for source, target in ((self.process.stdout, sys.stdout), (self.process.stderr, sys.stderr))]
        for reader in self.readers:
            reader.start()

    def _copy(self, source, target):
        for line in source:
            with self.lock:
                self.log.write(line)
                self.log.flush()
            if target is not None and not (target is sys.stderr and command_line.is_info_line(line)):
                target.write(line)
                target.flush()

    def stop(self):
        """SIGTERM, then SIGKILL after STOP_GRACE_SECONDS, to this worker's PID."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def close(self):
        for reader in self.readers:
            reader.join(timeout=STOP_GRACE_SECONDS)
        self.log.close()


def check(workers, timeout, run_flags):
    """Exits 2 with one line for launcher settings that cannot run."""
    if workers is None:
        command_line.fail("--workers is required (the processes to start)")
    if workers < 1:
        command_line.fail(f"--workers must be >= 1, got {workers}")
    if timeout is not None and timeout <= 0:
        command_line.fail(f"--timeout must be > 0 seconds, got {timeout}")
    if any(flag.startswith("--strategy") and flag != "--strategy=multi_worker" for flag in run_flags):
        command_line.fail("the workers run with --strategy=multi_worker; do not pass another --strategy")


def launch(workers, run_flags, timeout=None, module="experiments.run", log_dir=None):
    """Starts the workers, waits for them; returns the exit code (module docstring)."""
    log_dir = log_dir or tempfile.mkdtemp(prefix="launch_local-")
    os.makedirs(log_dir, exist_ok=True)
    addresses = [f"{HOST}:{port}" for port in free_ports(workers)]
    command = [sys.executable, "-u", "-m", module, "--strategy=multi_worker"] + run_flags
    print(f"launch_local: {workers} worker(s) on {', '.join(addresses)}; logs in {log_dir}", flush=True)
    started = time.time()
    processes = []
    try:
        for index in range(workers):
            env = dict(os.environ, TF_CONFIG=tf_config(addresses, index))
            processes.append(Worker(index, command, env, os.path.join(log_dir, f"worker-{index}.log"),
                                    stream=index == 0))
        while True:
            codes = [worker.process.poll() for worker in processes]
            failed = [(w, c) for w, c in zip(processes, codes) if c not in (None, 0)]
            if failed:
                worker, code = failed[0]
                _stop_all(processes)
                print(f"launch_local: worker {worker.index} (pid {worker.process.pid}) exited with code "
                      f"{code}; stopped the others. Its last error:\n{last_error(worker.log_path)}",
                      file=sys.stderr, flush=True)
                return code if code > 0 else 1
            if all(code == 0 for code in codes):
                return 0
            if timeout is not None and time.time() - started > timeout:
                _stop_all(processes)
                running = [w.index for w, c in zip(processes, codes) if c is None]
                print(f"launch_local: timeout after {timeout:g} s; stopped worker(s) {running}. "
                      f"Logs in {log_dir}", file=sys.stderr, flush=True)
                return 124
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        _stop_all(processes)
        print("launch_local: interrupted; stopped every worker", file=sys.stderr, flush=True)
        return 130
    finally:
        _stop_all(processes)
        for worker in processes:
            worker.close()


def _stop_all(processes):
    for worker in processes:
        if worker.process.poll() is None:
            worker.process.terminate()
    for worker in processes:
        worker.stop()


def main(argv):
    """argv[1:]: the flags after `--`, for every worker."""
    run_flags = argv[1:]
    check(FLAGS.workers, FLAGS.timeout, run_flags)
    return launch(FLAGS.workers, run_flags, FLAGS.timeout, FLAGS.module, FLAGS.log_dir)


if __name__ == "__main__":
    command_line.run(main, FLAGS, __doc__, positional=True)
