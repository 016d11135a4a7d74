"""What the benchmark scripts share: printing, percentiles, the .venv's
commands, the demo data's command."""
import os
import shutil
import statistics
import sys


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def demo_command(*args):
    """The command of the demo data (the package scripts/demo), to run from
    ROOT"""
    return [sys.executable, '-m', 'scripts.demo', *args]


def log(message, *args):
    print(message % args if args else message, flush=True)


def venv_bin(name):
    "The command next to the running python (the .venv), else from PATH"
    path = os.path.join(os.path.dirname(sys.executable), name)
    return path if os.path.exists(path) else (shutil.which(name) or name)


def percentile(values, p):
    if not values:
        return float('nan')
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    f = int(k)
    c = min(f + 1, len(values) - 1)
    return values[f] + (values[c] - values[f]) * (k - f)


def stats(latencies):
    "p50/p95/p99/mean/max in ms of latencies in seconds"
    ms = [x * 1000 for x in latencies]
    return {
        'count': len(ms),
        'p50': percentile(ms, 50),
        'p95': percentile(ms, 95),
        'p99': percentile(ms, 99),
        'mean': statistics.fmean(ms) if ms else float('nan'),
        'max': max(ms) if ms else float('nan'),
        }


def fmt_stats(s):
    return (f"p50 {s['p50']:.1f} ms, p95 {s['p95']:.1f} ms, "
        f"p99 {s['p99']:.1f} ms, mean {s['mean']:.1f} ms, "
        f"max {s['max']:.1f} ms")
