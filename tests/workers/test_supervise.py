"""`python -m workers.supervise`: a worker group that exits is started again; a stop ends it."""

import os
import signal
import subprocess
import sys
import threading
import time

from workers import supervise


def test_a_command_that_exits_is_restarted_until_stopped(tmp_path, monkeypatch):
    monkeypatch.setattr(supervise, "RESTART_MIN_SECONDS", 0.05)
    starts = tmp_path / "starts"
    script = f"open({str(starts)!r}, 'a').write('x'); raise SystemExit(3)"
    supervisor = supervise.Supervisor([sys.executable, "-c", script], log=lambda line: None)
    runner = threading.Thread(target=supervisor.run)
    runner.start()
    deadline = time.monotonic() + 20
    while (not starts.exists() or len(starts.read_text()) < 3) and time.monotonic() < deadline:
        time.sleep(0.05)
    supervisor.stop()
    runner.join(timeout=10)
    assert len(starts.read_text()) >= 3 and supervisor.restarts >= 2
    assert not runner.is_alive()


def test_sigterm_stops_the_child_and_the_supervisor(tmp_path):
    ready = tmp_path / "ready"
    script = (f"import signal, sys, time; signal.signal(signal.SIGTERM, lambda *a: sys.exit(0)); "
              f"open({str(ready)!r}, 'w').write('1'); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-m", "workers.supervise", "--", sys.executable, "-c", script],
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    assert "restart" not in proc.stderr.read()


def test_dramatiq_groups_get_a_prefetch_of_one_per_thread_and_a_shutdown_timeout():
    argv, env = supervise.dramatiq_defaults(["/venv/bin/dramatiq", "workers.app", "--threads", "4"])
    assert argv[-2:] == ["--worker-shutdown-timeout", str(supervise.SHUTDOWN_TIMEOUT_MS)]
    assert env["dramatiq_queue_prefetch"] == "4" and env["dramatiq_delay_queue_prefetch"] == "40"
    assert supervise.dramatiq_defaults(["python", "-c", "pass"]) == (["python", "-c", "pass"], {})


def test_without_a_command_it_explains_its_usage(capsys):
    assert supervise.main(["--"]) == 2
    assert "usage" in capsys.readouterr().err
