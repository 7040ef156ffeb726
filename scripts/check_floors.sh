#!/usr/bin/env bash
# Install the oldest versions pyproject.toml allows for the core (every ">=" floor, pinned with
# pip --constraint) into a throwaway venv, then run the core test suite there: the floors are
# claims, and this is their test (`make floors`).
#
# Usage: scripts/check_floors.sh [VENV_DIR]   (default: a new temporary folder, removed after)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${1:-$(mktemp -d)/floors}
mkdir -p "$(dirname "$VENV")"
CONSTRAINTS=$(dirname "$VENV")/floors.txt

# "numpy>=1.26" -> "numpy==1.26"; dependencies without a floor are left free.
$PYTHON - "$CONSTRAINTS" <<'EOF'
import re, sys, tomllib

deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]
pins = []
for dep in deps:
    m = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*>=\s*([^,;\s]+)", dep)
    if m:
        name = re.sub(r"\[.*\]", "", m.group(1))  # no extras in a constraints file
        pins.append(f"{name}=={m.group(2)}")
open(sys.argv[1], "w").write("\n".join(pins) + "\n")
print("floors:", ", ".join(pins))
EOF

$PYTHON -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
# A regular (not editable) install: the tests import the installed package, as users do. The
# test tools: pytest, hypothesis and onnx (it builds the tests' tiny models).
"$VENV/bin/pip" install -q --constraint "$CONSTRAINTS" . pytest pytest-timeout hypothesis onnx
"$VENV/bin/pip" list 2>/dev/null | grep -iE "^(numpy|pillow|rasterio|onnxruntime|matplotlib|pyyaml|tqdm|scipy|shapely) "
# From another folder, so that `import landcover` finds the installed package, not src/.
ROOT=$PWD
cd "$(dirname "$VENV")"
"$VENV/bin/python" -m pytest -q -p no:cacheprovider -m "not slow" --rootdir "$ROOT" \
    -c "$ROOT/pyproject.toml" "$ROOT/tests"
