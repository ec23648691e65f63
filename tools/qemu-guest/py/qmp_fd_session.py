#!/usr/bin/python3
"""Run QMP lines over a UNIX socket, attaching file descriptors (SCM_RIGHTS) where asked.

Node cannot pass descriptors over a UNIX socket; QEMU's `getfd`/`add-fd` need one, and the
`fd:NAME` dump protocol looks the name up in the same monitor connection. So the whole
exchange runs here.

stdin: JSON {"steps": [{"line": "<text sent as is>", "fd": {"path": P, "mode": "w"|"r"}?,
                         "expect": "reply"|"none"|N}]}
  expect "reply" (default): read until a line with "return" or "error" (events kept too);
  "none": read nothing; N: read exactly N lines.
stdout: JSON {"greeting": "<line>", "steps": [["<line>", ...], ...]} or {"error": "..."}.
"""
import json
import os
import socket
import sys


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: qmp_fd_session.py SOCKET TIMEOUT_SECONDS < steps.json")
    path, timeout = sys.argv[1], float(sys.argv[2])
    spec = json.load(sys.stdin)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    buf = b""

    def read_line():
        nonlocal buf
        while b"\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError("QMP socket closed")
            buf += chunk
        line, buf = buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    out = {"greeting": read_line(), "steps": []}
    try:
        for step in spec["steps"]:
            data = step["line"].encode("utf-8")
            fd_spec = step.get("fd")
            if fd_spec:
                flags = os.O_RDONLY if fd_spec.get("mode") == "r" else (os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
                fd = os.open(fd_spec["path"], flags, 0o600)
                try:
                    socket.send_fds(s, [data], [fd])
                finally:
                    os.close(fd)
            else:
                s.sendall(data)
            got = []
            expect = step.get("expect", "reply")
            if expect == "reply":
                while True:
                    line = read_line()
                    got.append(line)
                    try:
                        msg = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(msg, dict) and ("return" in msg or "error" in msg):
                        break
            elif isinstance(expect, int):
                for _ in range(expect):
                    got.append(read_line())
            out["steps"].append(got)
    except Exception as e:  # noqa: BLE001 - report with what was received so far
        out["error"] = f"{type(e).__name__}: {e}"
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
