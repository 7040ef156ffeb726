"""Which precision the CPU runs best: int8 only where it has integer dot-product instructions.

ONNX Runtime's int8 kernels are fast and exact on x86 CPUs with VNNI (AVX512-VNNI, AVX-VNNI) or
AMX; on AVX2-only CPUs (e.g. AMD Zen 2) they use u8s8 instructions that can saturate, and run
slower than float32 (measured on the bundled model: -0.023 mIoU, 2.0 s against 1.8 s per tile).
So the bundled model runs int8 where the CPU has those instructions, float32 everywhere else.
"""

from __future__ import annotations

import functools
import os
import platform
import subprocess
from pathlib import Path

INT8_FLAGS = ("amx_int8", "avx512_vnni", "avx_vnni")
PRECISION_ENV = "LANDCOVER_PRECISION"


@functools.cache
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (Linux ``/proc/cpuinfo``, macOS ``sysctl``); empty if unknown."""
    cpuinfo = Path("/proc/cpuinfo")
    try:
        if cpuinfo.is_file():
            for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
        elif platform.system() == "Darwin":
            out = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.features", "machdep.cpu.leaf7_features"],
                capture_output=True,
                text=True,
                timeout=2,
                check=False,
            ).stdout
            return frozenset(f.lower().replace(".", "_") for f in out.split())
    except OSError:
        pass
    return frozenset()


def cpu_class(flags: frozenset[str] | None = None) -> str:
    """A short name for the CPU's vector class: ``amx``, ``avx512-vnni``, ``avx-vnni``,
    ``avx512``, ``avx2`` or ``other``."""
    f = cpu_flags() if flags is None else flags
    for flag, name in (
        ("amx_int8", "amx"),
        ("avx512_vnni", "avx512-vnni"),
        ("avx_vnni", "avx-vnni"),
        ("avx512f", "avx512"),
        ("avx2", "avx2"),
    ):
        if flag in f:
            return name
    return "other"


def has_bf16(flags: frozenset[str] | None = None) -> bool:
    """Whether the CPU computes bf16 natively (AMX or AVX512-BF16)."""
    f = cpu_flags() if flags is None else flags
    return "amx_bf16" in f or "avx512_bf16" in f


def int8_is_fast(flags: frozenset[str] | None = None) -> bool:
    """True when the CPU has VNNI or AMX, where int8 is both faster and as exact as float32."""
    f = cpu_flags() if flags is None else flags
    return any(flag in f for flag in INT8_FLAGS)


def default_precision(flags: frozenset[str] | None = None) -> str:
    """``int8`` or ``fp32`` for the bundled model; ``LANDCOVER_PRECISION`` overrides."""
    forced = os.environ.get(PRECISION_ENV, "").strip().lower()
    if forced in ("int8", "fp32"):
        return forced
    return "int8" if int8_is_fast(flags) else "fp32"
