"""Throughput and latency of the public API's two hottest reads, side by side with nginx serving the same bytes.

Apps poll ``GET /v1/stations/{id}/forecast`` and ``GET /v1/bulletins/latest.json``. How close does ``vnaqi
serve`` come to the ceiling of a static file server? One run: a SYNTHETIC demo home (``vnaqi demo``), ``vnaqi
serve`` with N workers, and nginx with N workers serving the very bodies the API returned, written as files at
the same URL paths. Before measuring, each URL is fetched from both servers and the bodies must be byte-identical.
Then ``wrk --latency`` for each endpoint × connections × server: requests/s, p50, p99, errors.

Rate limiting is OFF for these figures (``<home>/api.yaml``: ``rate_limit: {enabled: false}``): wrk is one client
address, which the API throttles by design. wrk sends no ``Accept-Encoding``, so both servers send identity
(uncompressed) bodies.

Target (issue): at 200 connections on 2 cores, at least 40 % of nginx's throughput with p99 under 25 ms.

Usage: ``python benchmarks/bench_api.py [--workers 2] [--duration 10] [--connections 50 200] [--keep]``
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "api.json"
TARGET_CONNECTIONS, TARGET_RATIO, TARGET_P99_MS = 200, 0.40, 25.0
NOISY_PCT = 5.0  # a run during which other processes used more of the machine's CPU than this is flagged
NGINX_CONF = """\
{user}worker_processes {workers};
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    server_tokens off;
    sendfile on;
    tcp_nopush on;
    types {{ }}
    default_type application/json;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        # the API's own caching headers, so both answers carry about the same header bytes
        add_header Cache-Control "public, max-age=300";
        add_header Vary "Accept-Encoding, Origin";
    }}
}}
"""


@dataclass
class Result:
    """One wrk run."""

    endpoint: str
    connections: int
    server: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    other_cpu_pct: float  # CPU used by processes other than the two servers and wrk, % of all cores
    steal_pct: float  # CPU the hypervisor took (steal), % of all cores


def vnaqi_command() -> list[str]:
    """``vnaqi`` when on PATH, else the same Typer app through this Python."""
    exe = shutil.which("vnaqi")
    if exe:
        return [exe]
    return [sys.executable, "-c", "import sys; sys.argv[0] = 'vnaqi'; from forecast.cli import app; app()"]


def ensure_tools() -> None:
    """wrk and nginx on PATH (``/usr/sbin`` too), else ``apt-get install wrk nginx-light``, else exit."""
    os.environ["PATH"] += os.pathsep + "/usr/sbin"
    if shutil.which("wrk") and shutil.which("nginx"):
        return
    print("# installing wrk and nginx-light with apt-get …", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "wrk", "nginx-light"]):
        if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode != 0:
            break
    if not (shutil.which("wrk") and shutil.which("nginx")):
        sys.exit("bench_api: wrk and nginx are needed (Debian: apt-get install wrk nginx-light); could not install")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd: list[str], log: Path, **kwargs) -> subprocess.Popen:
    """A server in its own process group (so that its workers can be killed with it)."""
    with log.open("wb") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kwargs)


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the process group, SIGKILL after 10 s."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def get(url: str) -> tuple[int, bytes]:
    """Status and body of a GET with no Accept-Encoding beyond identity (as wrk sends)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_ready(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"bench_api: server exited ({proc.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(OSError):
            if get(url)[0] == 200:
                return
        time.sleep(0.2)
    sys.exit(f"bench_api: {url} not ready after {timeout:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


def build_home(home: Path) -> None:
    """``vnaqi demo`` into ``home``, then an ``api.yaml`` that turns rate limiting off (other keys: defaults)."""
    print(f"# building the SYNTHETIC demo home {home} (~30 s) …", flush=True)
    t0 = time.perf_counter()
    run = subprocess.run([*vnaqi_command(), "demo", "--home", str(home), "--no-serve"], capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"bench_api: vnaqi demo failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    (home / "api.yaml").write_text("# bench_api.py: one wrk client address must not be throttled\n"
                                   "rate_limit:\n  enabled: false\n", encoding="utf-8")  # fmt: skip
    print(f"# demo home built in {time.perf_counter() - t0:.0f} s; rate limiting OFF", flush=True)


_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS_MS[unit]


def parse_wrk(output: str) -> dict:
    """requests/s, p50, p99 [ms], requests, non-2xx/3xx and socket errors from ``wrk --latency`` output."""
    percentiles = dict(re.findall(r"^\s+(\d+)%\s+(\S+)$", output, re.M))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _ms(percentiles["50"]),
        "p99_ms": _ms(percentiles["99"]),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    }


_TICK = os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[float, float]:
    """Busy (user, nice, system, irq, softirq) and steal CPU seconds of the whole machine (``/proc/stat``)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq) / _TICK, steal / _TICK


def sessions_cpu(sessions: set[int]) -> float:
    """CPU seconds of the live processes of these sessions (the servers, their workers)."""
    total = 0
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[3]) in sessions:
                    total += int(fields[11]) + int(fields[12])
    return total / _TICK


def wrk(url: str, connections: int, seconds: float, threads: int, sessions: set[int]) -> dict:
    """One wrk run, parsed, with the CPU the rest of the machine used meanwhile (a shared machine is noisy)."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency", url]
    busy0, steal0 = machine_cpu()
    ours0 = sessions_cpu(sessions)
    self0 = resource.getrusage(resource.RUSAGE_SELF)
    child0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    run = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.monotonic() - t0
    busy1, steal1 = machine_cpu()
    self1 = resource.getrusage(resource.RUSAGE_SELF)
    child1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = sum((b.ru_utime + b.ru_stime) - (a.ru_utime + a.ru_stime) for a, b in ((self0, self1), (child0, child1)))
    ours = sessions_cpu(sessions) - ours0 + used  # servers + wrk + this script
    capacity = wall * (os.cpu_count() or 1) / 100
    return {
        **parse_wrk(run.stdout),
        "other_cpu_pct": round(max(0.0, busy1 - busy0 - ours) / capacity, 1),
        "steal_pct": round((steal1 - steal0) / capacity, 1),
    }


def nginx_root(root: Path, bodies: dict[str, bytes]) -> None:
    """The API's bodies as static files at the same URL paths."""
    for path, body in bodies.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)


def machine() -> dict:
    versions = {name: metadata.version(name) for name in ("uvicorn", "fastapi", "starlette", "uvloop", "httptools")
                if _installed(name)}  # fmt: skip
    nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip().split(": ")[-1]
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split(" Copyright")[0].strip()
    return {
        "platform": platform.platform(), "machine": platform.machine(), "node": platform.node(),
        "cpu_count": os.cpu_count(), "python": platform.python_version(), "packages": versions,
        "nginx": nginx, "wrk": wrk_v, "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }  # fmt: skip


def _installed(name: str) -> bool:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def table(results: list[Result]) -> str:
    by_key = {(r.endpoint, r.connections, r.server): r for r in results}
    lines = ["| endpoint | connections | server | req/s | p50 [ms] | p99 [ms] | errors | vnaqi / nginx "
             "| other processes [% CPU] |", "|---|---:|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for r in results:
        ratio = ""
        if r.server == "vnaqi" and (ref := by_key.get((r.endpoint, r.connections, "nginx"))):
            ratio = f"{r.requests_per_s / ref.requests_per_s:.0%}"
        lines.append(f"| `{r.endpoint}` | {r.connections} | {r.server} | {r.requests_per_s:,.0f} | {r.p50_ms:.2f} | "
                     f"{r.p99_ms:.2f} | {r.non_2xx + r.socket_errors} | {ratio} | {r.other_cpu_pct:.0f} |")  # fmt: skip
    return "\n".join(lines)


def targets(results: list[Result]) -> list[dict]:
    """Per endpoint at 200 connections: vnaqi ≥ 40 % of nginx's requests/s and vnaqi p99 < 25 ms, no errors."""
    out = []
    for r in results:
        if r.server != "vnaqi" or r.connections != TARGET_CONNECTIONS:
            continue
        ref = next(x for x in results if (x.endpoint, x.connections, x.server) == (r.endpoint, r.connections, "nginx"))
        ratio = r.requests_per_s / ref.requests_per_s
        met = ratio >= TARGET_RATIO and r.p99_ms < TARGET_P99_MS and r.non_2xx + r.socket_errors == 0
        out.append({"endpoint": r.endpoint, "ratio": round(ratio, 3), "p99_ms": r.p99_ms, "met": met})
    return out


@contextlib.contextmanager
def servers(tmp: Path, home: Path, workers: int) -> Iterator[tuple[str, str, dict[str, str], set[int]]]:
    """Start vnaqi and nginx; yield their base URLs, the endpoints (label → path) and their process sessions;
    always stop both."""
    procs: list[subprocess.Popen] = []
    try:
        api_port = free_port()
        api_log = tmp / "vnaqi-serve.log"
        procs.append(start([*vnaqi_command(), "serve", "--home", str(home), "--port", str(api_port),
                            "--workers", str(workers)], api_log))  # fmt: skip
        api = f"http://127.0.0.1:{api_port}"
        wait_ready(f"{api}/healthz", procs[-1], api_log)
        status, listing = get(f"{api}/v1/stations")
        if status != 200:
            sys.exit(f"bench_api: GET /v1/stations gave {status}")
        station = json.loads(listing)["items"][0]["id"]
        endpoints = {"/v1/stations/{id}/forecast": f"/v1/stations/{station}/forecast",
                     "/v1/bulletins/latest.json": "/v1/bulletins/latest.json"}  # fmt: skip
        bodies = {}
        for path in endpoints.values():
            status, bodies[path] = get(api + path)
            if status != 200:
                sys.exit(f"bench_api: GET {path} gave {status}")
        nginx_root(tmp / "www", bodies)

        nginx_port = free_port()
        conf = tmp / "nginx.conf"
        user = "user root;\n" if os.geteuid() == 0 else ""  # root's nginx workers would run as nobody: no /tmp access
        conf.write_text(NGINX_CONF.format(user=user, workers=workers, tmp=tmp, port=nginx_port, root=tmp / "www"))
        nginx_log = tmp / "nginx.log"
        procs.append(start(["nginx", "-p", str(tmp), "-e", str(tmp / "nginx-error.log"), "-c", str(conf)], nginx_log))
        ref = f"http://127.0.0.1:{nginx_port}"
        wait_ready(ref + endpoints["/v1/bulletins/latest.json"], procs[-1], nginx_log)

        for path, body in bodies.items():  # same bytes from both, or the comparison means nothing
            for base in (api, ref):
                status, got = get(base + path)
                if status != 200 or got != body:
                    sys.exit(f"bench_api: {base}{path} gave {status}, {len(got)} bytes, not the {len(body)} expected")
        print(f"# station {station}; bodies byte-identical from both servers: "
              + ", ".join(f"{p} {len(b):,} B" for p, b in bodies.items()), flush=True)  # fmt: skip
        yield api, ref, endpoints, {proc.pid for proc in procs}
    finally:
        for proc in reversed(procs):
            stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="vnaqi serve workers, and nginx worker processes")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of wrk warm-up per server and endpoint")
    parser.add_argument("--connections", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (home, logs, nginx root)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON of the results")
    args = parser.parse_args()
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C raises even where SIGINT was ignored
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # and a kill runs the clean-up (finally blocks) too

    ensure_tools()
    info = machine()
    info["load_average_before"] = os.getloadavg()
    print(f"# API benchmark — {info['platform']}, {info['cpu_count']} CPUs, Python {info['python']}, {info['date']}")
    print("# load average before (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*info["load_average_before"]))
    print(
        f"# vnaqi serve --workers {args.workers} vs {info['nginx']} (worker_processes {args.workers}); "
        f"{info['wrk']}; -t{args.threads}, {args.duration:g} s per run; rate limiting OFF; identity bodies"
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench_api-"))
    results: list[Result] = []
    try:
        home = tmp / "home"
        build_home(home)
        with servers(tmp, home, args.workers) as (api, ref, endpoints, sessions):
            for label, path in endpoints.items():
                for base in (api, ref):
                    wrk(base + path, max(args.connections), args.warmup, args.threads, sessions)
                for connections in args.connections:
                    for server, base in (("vnaqi", api), ("nginx", ref)):
                        time.sleep(1)  # let the previous run's connections close
                        row = Result(label, connections, server, **wrk(base + path, connections, args.duration,
                                                                        args.threads, sessions))  # fmt: skip
                        results.append(row)
                        print(f"  {label} c={connections} {server}: {row.requests_per_s:,.0f} req/s, "
                              f"p50 {row.p50_ms:.2f} ms, p99 {row.p99_ms:.2f} ms, other processes "
                              f"{row.other_cpu_pct:.0f} % CPU, steal {row.steal_pct:.0f} %", flush=True)  # fmt: skip
    finally:
        if args.keep:
            print(f"# kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    info["load_average_after"] = os.getloadavg()
    print("\n" + table(results) + "\n")
    noisy = [r for r in results if r.other_cpu_pct > NOISY_PCT]
    if noisy:
        print(f"WARNING: other processes used over {NOISY_PCT:g} % of the CPU during {len(noisy)} of {len(results)} "
              "runs: those figures are disturbed; rerun on a quiet machine\n")  # fmt: skip
    checks = targets(results)
    for check in checks:
        print(f"Target at {TARGET_CONNECTIONS} connections (≥ {TARGET_RATIO:.0%} of nginx, p99 < {TARGET_P99_MS:g} ms) "
              f"for {check['endpoint']}: {'MET' if check['met'] else 'NOT MET'} "
              f"({check['ratio']:.0%} of nginx, p99 {check['p99_ms']:.2f} ms)")  # fmt: skip
    report = {
        "benchmark": "bench_api.py", "machine": info, "synthetic_demo_home": True, "rate_limit": "disabled",
        "accept_encoding": "none (identity bodies)",
        "settings": {"workers": args.workers, "nginx_worker_processes": args.workers, "duration_s": args.duration,
                     "warmup_s": args.warmup, "wrk_threads": args.threads, "connections": args.connections},
        "target": {"connections": TARGET_CONNECTIONS, "min_ratio_of_nginx": TARGET_RATIO,
                   "p99_ms_below": TARGET_P99_MS},
        "results": [asdict(r) for r in results], "target_checks": checks,
    }  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print("# load average after (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*info["load_average_after"]))
    print(f"# results written to {args.out}")


if __name__ == "__main__":
    main()
