"""What the benchmarks say about the machine they ran on (shared by run.py and samplers.py)."""

from __future__ import annotations

import platform


def cpu_model():
    """The processor's model name (from /proc/cpuinfo where there is one)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"
