"""`python -m workers.supervise -- COMMAND ...`: keep a worker group running.

`dramatiq` (2.2.1) shuts its whole worker group down when one worker process
dies, and nothing restarts it; the API keeps accepting jobs nobody runs. The
supervisor runs COMMAND as a child in its own process group and restarts it
whenever it exits, after a backoff of `RESTART_MIN_SECONDS` doubling to
`RESTART_MAX_SECONDS` (reset once a child ran `HEALTHY_SECONDS`). SIGTERM,
SIGINT and SIGHUP are passed to the child's group; the supervisor then waits
for it (SIGKILL after `STOP_TIMEOUT_SECONDS`) and exits with its status.

`make worker`, `make worker-ml`, the e2e production stack and `make bench`
start their worker groups this way; docker-compose relies on its own
`restart: unless-stopped` policy instead.

For a `dramatiq` command the child's environment gets defaults chosen so a
killed process strands little work (`dramatiq_defaults`): a prefetch of one
message per thread (Dramatiq's default is two, and a thousand per thread for
delayed messages), a 100 ms idle poll, and (`--worker-shutdown-timeout`) 30 s
for running messages to finish on a stop. What a killed process held comes back
through the job platform: its running jobs after their 10 s lease, its
prefetched messages after the dispatch lease (`workers.relay`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

RESTART_MIN_SECONDS = 0.5
RESTART_MAX_SECONDS = 10.0
HEALTHY_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 30.0


SHUTDOWN_TIMEOUT_MS = 30_000


def dramatiq_defaults(argv: list[str]) -> tuple[list[str], dict]:
    """For a `dramatiq` command: `(argv with --worker-shutdown-timeout, environment defaults)`;
    other commands are returned unchanged with no defaults. Settings already given win."""
    if not argv or os.path.basename(argv[0]) != "dramatiq":
        return argv, {}
    threads = 8
    if "--threads" in argv:
        threads = int(argv[argv.index("--threads") + 1])
    if "--worker-shutdown-timeout" not in argv:
        argv = [*argv, "--worker-shutdown-timeout", str(SHUTDOWN_TIMEOUT_MS)]
    return argv, {"dramatiq_queue_prefetch": str(threads), "dramatiq_delay_queue_prefetch": str(threads * 10),
                  "dramatiq_worker_timeout": "100"}


class Supervisor:
    """Runs `argv` and restarts it when it exits, until `stop()` (a signal) is called."""

    def __init__(self, argv: list[str], log=print):
        self.argv = argv
        self.log = log
        self.child: subprocess.Popen | None = None
        self.stopping = False
        self.restarts = 0

    def _start(self) -> None:
        argv, defaults = dramatiq_defaults(self.argv)
        self.child = subprocess.Popen(argv, start_new_session=True, env={**defaults, **os.environ})
        self.log(f"supervise: started {self.argv[0]} (pid {self.child.pid})")

    def _signal_child(self, sig: int) -> None:
        if self.child is not None and self.child.poll() is None:
            try:
                os.killpg(self.child.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop restarting and pass `sig` to the child's process group."""
        self.stopping = True
        self._signal_child(sig)

    def run(self) -> int:
        """Supervise until stopped; returns the last child's exit status."""
        backoff = RESTART_MIN_SECONDS
        while True:
            started = time.monotonic()
            self._start()
            status = self._wait()
            if self.stopping:
                return status
            ran = time.monotonic() - started
            backoff = RESTART_MIN_SECONDS if ran >= HEALTHY_SECONDS else backoff
            self.restarts += 1
            self.log(f"supervise: {self.argv[0]} exited with {status} after {ran:.1f} s; "
                     f"restart {self.restarts} in {backoff:.1f} s")
            deadline = time.monotonic() + backoff
            while time.monotonic() < deadline and not self.stopping:
                time.sleep(0.05)
            if self.stopping:
                return status
            backoff = min(backoff * 2, RESTART_MAX_SECONDS)

    def _wait(self) -> int:
        stop_deadline = None
        while True:
            status = self.child.poll()
            if status is not None:
                # Stray grandchildren of a dead group leader (dramatiq's worker processes) go too.
                try:
                    os.killpg(self.child.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                return status
            if self.stopping:
                stop_deadline = stop_deadline or time.monotonic() + STOP_TIMEOUT_SECONDS
                if time.monotonic() > stop_deadline:
                    self._signal_child(signal.SIGKILL)
            time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    """Entry point: `python -m workers.supervise -- COMMAND [ARGS...]`. Exits 2 without a command."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        print("usage: python -m workers.supervise -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    supervisor = Supervisor(args, log=lambda line: print(line, file=sys.stderr, flush=True))
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: supervisor.stop(signum))
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
