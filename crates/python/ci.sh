#!/usr/bin/env bash
# The Python package's tests, as CI runs them: a venv under the target directory, the package
# installed by `pip install ./crates/python` (maturin, fetched by pip from PyPI, builds the wheel
# in release in the workspace's target directory; cargo does not reuse the `neurodiv` binary's
# release artifacts for it, the library crates build a second time), the release `neurodiv`
# binary the interop tests call (built already by docs-check in CI), then pytest.
# Needs the Rust toolchain and Python 3.9 or later (`python3`, or $PYTHON).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
venv="$CARGO_TARGET_DIR/python-venv"
if [ ! -x "$venv/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check pytest pandas polars numpy
cargo build --release --locked -p neurodiv-cli
MATURIN_PEP517_ARGS="--locked" "$venv/bin/python" -m pip install --quiet \
    --disable-pip-version-check --force-reinstall --no-deps ./crates/python
cd crates/python/tests
NEURODIV_CLI="$CARGO_TARGET_DIR/release/neurodiv" "$venv/bin/python" -m pytest -q -p no:cacheprovider .
