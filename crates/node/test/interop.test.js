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
