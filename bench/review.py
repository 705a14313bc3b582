#!/usr/bin/env python3
"""`idvault review` against a peer binary (an earlier idvault), in the same run:

- seconds until the page's address is printed, and until the page holds every finding;
- then, with CONNECTIONS idle or half-sent connections held open (the review process limited to
  the 1,024 open files of a desktop session): the process's thread count, and the seconds an
  authenticated request to api/state takes, or "no answer" after 30 s.

Usage: bench/review.py --idvault BIN [--peer BIN] [--connections N] FOLDER
"""
import argparse
import json
import os
import re
import resource
import socket
import subprocess
import tempfile
import time


def start(binary, folder, home):
    env = dict(os.environ, HOME=home, XDG_CACHE_HOME=home + "/cache",
               XDG_DATA_HOME=home + "/data", NO_COLOR="1", IDVAULT_NO_CACHE="1")

    def desktop_limits():
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))

    began = time.monotonic()
    proc = subprocess.Popen([binary, "review", "--no-open", "--vault", home + "/vault", folder],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, env=env, preexec_fn=desktop_limits)
    url = proc.stdout.readline().decode().strip()
    return proc, url, time.monotonic() - began, began


def request(url, route, cookie=None, timeout=30.0):
    port, base = re.match(r"http://127\.0\.0\.1:(\d+)(/[0-9a-f]+/)", url).groups()
    with socket.create_connection(("127.0.0.1", int(port)), timeout=timeout) as s:
        head = f"GET {base}{route} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        if cookie:
            head += f"Cookie: {cookie}\r\n"
        s.sendall((head + "Connection: close\r\n\r\n").encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


def threads(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(next(l for l in f if l.startswith("Threads:")).split()[1])


def run(binary, folder, connections):
    out = {"binary": binary}
    with tempfile.TemporaryDirectory() as home:
        proc, url, out["address_s"], began = start(binary, folder, home)
        try:
            page = request(url, "")
            m = re.search(rb"Set-Cookie: ([^;]+)", page)
            cookie = m.group(1).decode() if m else None
            while True:
                state = json.loads(request(url, "api/state", cookie).split(b"\r\n\r\n", 1)[1])
                if state.get("scan", {}).get("running") is not True:
                    break
                time.sleep(0.2)
            out["full_page_s"] = round(time.monotonic() - began, 2)
            out["findings"] = len(state["cards"])
            out["threads_before"] = threads(proc.pid)
            port = int(re.match(r"http://127\.0\.0\.1:(\d+)", url).group(1))
            held = []
            for i in range(connections):
                try:
                    s = socket.create_connection(("127.0.0.1", port), timeout=2)
                except OSError:
                    out["connect_failed_at"] = i
                    break
                if i % 2:
                    s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                held.append(s)
            time.sleep(1)
            out["threads_during"] = threads(proc.pid)
            t = time.monotonic()
            try:
                request(url, "api/state", cookie)
                out["request_during_s"] = round(time.monotonic() - t, 3)
            except OSError as e:
                out["request_during_s"] = f"no answer ({e})"
            for s in held:
                s.close()
        finally:
            proc.kill()
            proc.wait()
    out["address_s"] = round(out["address_s"], 2)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--idvault", required=True)
    ap.add_argument("--peer")
    ap.add_argument("--connections", type=int, default=1000)
    ap.add_argument("folder")
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, a.connections + 256), hard))
    for binary in filter(None, [a.peer, a.idvault]):
        print(json.dumps(run(binary, a.folder, a.connections)), flush=True)


if __name__ == "__main__":
    main()
