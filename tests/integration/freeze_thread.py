#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Stops one thread of a process, the others running on: a worker stuck in
its loop, as far as the rest of attlsd can tell. ptrace (PTRACE_SEIZE and
PTRACE_INTERRUPT) acts on one thread, where a signal would stop them all.
Usage: freeze_thread.py TID READY_FILE HOLD_FILE; the thread stays stopped
while HOLD_FILE exists, then runs on (PTRACE_DETACH)."""
import ctypes
import os
import sys
import time

PTRACE_DETACH, PTRACE_SEIZE, PTRACE_INTERRUPT = 17, 0x4206, 0x4207
WALL = 0x40000000

tid, ready, hold = int(sys.argv[1]), sys.argv[2], sys.argv[3]
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
for req in (PTRACE_SEIZE, PTRACE_INTERRUPT):
    if libc.ptrace(req, tid, None, None) != 0:
        sys.exit("ptrace(%#x, %d): %s" % (req, tid, os.strerror(ctypes.get_errno())))
os.waitpid(tid, WALL)
with open(ready, "w") as f:
    f.write("stopped\n")
while os.path.exists(hold):
    time.sleep(0.05)
libc.ptrace(PTRACE_DETACH, tid, None, None)
