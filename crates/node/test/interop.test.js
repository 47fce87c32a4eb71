'use strict'
// Saved in Node, served by the command line; fitted by the command line, loaded in Node.

const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { NeuralForecast, NHITS, airPassengers } = require('..')
const { REPO, cli, tempDir, readCsv } = require('./helpers')

const f32 = (v) => Math.fround(Number(v))

test('saved in Node, predicted by the CLI', async () => {
  const dir = path.join(tempDir('interop'), 'model')
  const nf = new NeuralForecast({ models: [new NHITS({ h: 6, inputSize: 12, maxSteps: 5 })], freq: 'ME' })
  await nf.fit(airPassengers())
  await nf.save(dir)
  const ours = await nf.predict()
  const theirs = readCsv(cli('predict', '--load', dir))
  assert.deepEqual(theirs.ds, ours.ds.map((d) => d.toISOString().slice(0, 10)))
  assert.deepEqual(theirs.NHITS.map(f32), Array.from(ours.NHITS))
})

test('fitted by the CLI, loaded in Node', async () => {
  const dir = path.join(tempDir('interop'), 'model')
  cli('fit', '--data', path.join(REPO, 'data/air_passengers.csv'), '--model', 'MLP', '--h', '4', '--max-steps', '3', '--quiet', '--save', dir)
  const nf = await NeuralForecast.load(dir)
  assert.deepEqual(nf.models.map((m) => [m.alias, m.h]), [['MLP', 4]])
  const ours = await nf.predict()
  const theirs = readCsv(cli('predict', '--load', dir))
  assert.deepEqual(theirs.MLP.map(f32), Array.from(ours.MLP))
  // The loaded forecaster goes on as any other: new history, save again.
  assert.equal((await nf.predict({ df: airPassengers() })).MLP.length, 4)
  await nf.save(path.join(dir, '..', 'again'))
})

// The Python package's venv, as crates/python/ci.sh makes it (CI runs that step first):
// $NEURODIV_PYTHON, else $CARGO_TARGET_DIR/python-venv/bin/python.
const fs = require('node:fs')
const { execFileSync } = require('node:child_process')
const python = process.env.NEURODIV_PYTHON ||
  path.join(process.env.CARGO_TARGET_DIR || path.join(REPO, 'target'), 'python-venv', 'bin', 'python')
const noPython = !fs.existsSync(python) && `no Python package at ${python} (crates/python/ci.sh makes it)`

test('saved in Node, loaded in Python; saved in Python, loaded in Node', { skip: noPython }, async () => {
  const dir = tempDir('python')
  const nf = new NeuralForecast({ models: [new NHITS({ h: 6, inputSize: 12, maxSteps: 5 })], freq: 'ME' })
  await nf.fit(airPassengers())
  await nf.save(path.join(dir, 'from-node'))
  const script = `
import json, sys
from neurodiv import NeuralForecast
from neurodiv.models import MLP
from neurodiv.utils import AirPassengersDF
loaded = NeuralForecast.load(sys.argv[1] + "/from-node")
theirs = loaded.predict()["NHITS"].tolist()
nf = NeuralForecast(models=[MLP(h=4, input_size=8, max_steps=3)], freq="ME")
nf.fit(AirPassengersDF)
nf.save(sys.argv[1] + "/from-python")
print(json.dumps({"theirs": theirs, "mlp": nf.predict()["MLP"].tolist()}))`
  const out = JSON.parse(execFileSync(python, ['-c', script, dir], { encoding: 'utf8' }))
  assert.deepEqual(out.theirs, Array.from((await nf.predict()).NHITS))
  const fromPython = await NeuralForecast.load(path.join(dir, 'from-python'))
  assert.deepEqual(Array.from((await fromPython.predict()).MLP), out.mlp)
})
