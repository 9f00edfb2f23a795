"""A fake /proc tree for the bench's CPU and memory tests."""

from __future__ import annotations

from pathlib import Path


def add_process(root: Path, pid: int, *, ppid: int = 1, utime: int = 0, stime: int = 0, starttime: int = 100,
                comm: str = "python", cmdline: str = "python", hwm_kb: int | None = 2048) -> None:
    """Write /proc/<pid>/{stat,comm,cmdline,status} under `root` (times in clock ticks)."""
    entry = root / str(pid)
    entry.mkdir(parents=True, exist_ok=True)
    # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
    # priority nice threads itrealvalue starttime vsize ...
    fields = ["S", ppid, pid, pid, 0, -1, 4194560, 10, 0, 0, 0, utime, stime, 7, 9, 20, 0, 4, 0, starttime,
              1000000, 500]
    (entry / "stat").write_text(f"{pid} ({comm}) " + " ".join(str(f) for f in fields) + "\n")
    (entry / "comm").write_text(comm + "\n")
    (entry / "cmdline").write_bytes(b"\0".join(w.encode() for w in cmdline.split()) + b"\0")
    status = f"Name:\t{comm}\nVmPeak:\t  999999 kB\n"
    if hwm_kb is not None:
        status += f"VmHWM:\t{hwm_kb:8d} kB\nVmRSS:\t    1000 kB\n"
    (entry / "status").write_text(status)


def remove_process(root: Path, pid: int) -> None:
    entry = root / str(pid)
    for child in entry.iterdir():
        child.unlink()
    entry.rmdir()
