#!/usr/bin/env bash
# The Node.js package's tests, as CI runs them: `npm ci` (the locked @napi-rs/cli, TypeScript,
# apache-arrow from the npm registry), the addon built in release by cargo in the workspace's
# target directory and copied to `neurodiv.<platform>.node` (what `npm run build` does through
# @napi-rs/cli, which would build for an explicit `--target` in a directory of its own; its
# generated `native.js` and `native.d.ts` are committed), the release `neurodiv` binary the
# interop tests call (built already by docs-check in CI), then `node --test` (which also runs
# `tsc --noEmit` on the TypeScript example of docs/node.md and `npm pack` into an empty project).
# The addon's dependencies resolve other features than the binary's (napi-derive's `syn`), so the
# library crates build a second time, as for the Python package.
# Needs the Rust toolchain, Node.js 18 or later and npm.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release --locked -p neurodiv-cli
cargo build --release --locked -p neurodiv-node
cd crates/node
npm ci --no-audit --no-fund --loglevel=error
node scripts/copy-addon.js "$CARGO_TARGET_DIR/release"
NEURODIV_CLI="$CARGO_TARGET_DIR/release/neurodiv" node --test test/*.test.js
