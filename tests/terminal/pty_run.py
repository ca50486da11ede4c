"""Runs a command on a real pseudo-terminal (stdin, stdout and stderr all the pty,
echo off, COLS columns), optionally typing INPUT once WAIT_FOR appears, and prints
everything the command wrote to the terminal; exits with the command's code.

usage: pty_run.py COLS WAIT_FOR INPUT_HEX -- ARGV...
"""
import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time

cols = int(sys.argv[1])
wait_for = sys.argv[2].encode()
send = bytes.fromhex(sys.argv[3])
argv = sys.argv[5:]

master, slave = os.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
attrs = termios.tcgetattr(slave)
attrs[3] &= ~termios.ECHO
termios.tcsetattr(slave, termios.TCSANOW, attrs)
proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, close_fds=True, start_new_session=True)
os.close(slave)
buf = b""
sent = not wait_for
deadline = time.time() + 120
while time.time() < deadline:
    ready, _, _ = select.select([master], [], [], 0.1)
    if ready:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        buf += data
    if not sent and wait_for in buf:
        os.write(master, send)
        sent = True
    if not ready and proc.poll() is not None:
        break
code = proc.wait(timeout=120)
sys.stdout.buffer.write(buf)
sys.exit(code)
