'use strict'
// Shared by the tests: the repository, the release CLI, a temporary directory, and
// AirPassengers split into its first 132 months and the last 12.

const path = require('node:path')
const fs = require('node:fs')
const os = require('node:os')
const { execFileSync } = require('node:child_process')
const nd = require('..')

const REPO = path.resolve(__dirname, '../../..')

/** The release `neurodiv` binary: $NEURODIV_CLI, else $CARGO_TARGET_DIR/release/neurodiv, else target/release/neurodiv. */
function cliPath() {
  const target = process.env.CARGO_TARGET_DIR || path.join(REPO, 'target')
  const p = process.env.NEURODIV_CLI || path.join(target, 'release', 'neurodiv')
  if (!fs.existsSync(p)) throw new Error(`${p} not found: run \`cargo build --release -p neurodiv-cli\` first`)
  return p
}

function cli(...args) {
  return execFileSync(cliPath(), args, { encoding: 'utf8' })
}

function tempDir(name) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `neurodiv-node-${name}-`))
}

function slice(df, from, to) {
  const out = {}
  for (const [k, v] of Object.entries(df)) out[k] = v.slice(from, to)
  return out
}

function airSplit() {
  const air = nd.airPassengers()
  const n = air.y.length
  return { air, train: slice(air, 0, n - 12), test: slice(air, n - 12, n) }
}

/** A CSV of the command line (`unique_id,ds,COLUMN...`) as an object of columns. */
function readCsv(text) {
  const [head, ...rows] = text.trim().split('\n')
  const names = head.split(',')
  const out = Object.fromEntries(names.map((n) => [n, []]))
  for (const row of rows) row.split(',').forEach((v, i) => out[names[i]].push(v))
  return out
}

module.exports = { REPO, cli, tempDir, airSplit, slice, readCsv }
