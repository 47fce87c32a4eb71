'use strict'
// Every error class comes back as an Error with the library's message and a code, and a bad
// input never takes the process down.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { NeuralForecast, MLP, NHITS, MQLoss, DistributionLoss, airPassengers } = require('..')
const { tempDir } = require('./helpers')

const small = () => new MLP({ h: 4, inputSize: 8, maxSteps: 2 })

test('ERR_CONFIG: unknown options, bad values, bad losses, bad constructor arguments', () => {
  assert.throws(() => new MLP({ h: 4, inputSize: 8, noSuchOption: 1 }), { code: 'ERR_CONFIG', message: /no_such_option/ })
  assert.throws(() => new MLP({ h: 4, inputSize: 8, maxSteps: 'many' }), { code: 'ERR_CONFIG' })
  assert.throws(() => new MLP({ h: 0, inputSize: 8 }), { code: 'ERR_CONFIG' })
  assert.throws(() => new MLP({ h: 4 }), { code: 'ERR_CONFIG', message: /inputSize/ })
  assert.throws(() => new DistributionLoss({ distribution: 'NoSuchDistribution' }), { code: 'ERR_CONFIG' })
  assert.throws(() => new MQLoss({ level: [180] }), { code: 'ERR_CONFIG' })
  assert.throws(() => new NeuralForecast({ models: [], freq: 'ME' }), { code: 'ERR_CONFIG' })
  assert.throws(() => new NeuralForecast({ models: [small()], freq: 'fortnightly' }), { code: 'ERR_CONFIG', message: /fortnightly/ })
  assert.throws(() => new NeuralForecast({ models: [small(), small()], freq: 'ME' }), { code: 'ERR_CONFIG', message: /alias/ })
})

test('ERR_INVALID_DATA: missing columns, bad values, bad shapes', async () => {
  const nf = new NeuralForecast({ models: [small()], freq: 'ME' })
  const air = airPassengers()
  const cases = [
    [{ unique_id: air.unique_id, ds: air.ds }, /`y`/],
    [{ ...air, y: air.unique_id }, /expected numbers/],
    [{ ...air, y: air.y.slice(1) }, /different lengths/],
    [{ ...air, ds: air.ds.map((d, i) => (i === 5 ? 'soon' : d)) }, /row 5/],
    [{ ...air, ds: air.ds.map((d) => d.toISOString().slice(0, 10) + 'x') }, /unreadable/],
    [{ ...air, ds: air.ds.map(() => air.ds[0]) }, /duplicate|twice|repeated/i],
    [{ ...air, y: air.y.map((v, i) => (i === 3 ? Infinity : v)) }, /.+/],
    ['not a frame', /object of columns/],
  ]
  for (const [df, message] of cases) {
    let raised = null
    try {
      await nf.fit(df)
    } catch (e) {
      raised = e
    }
    assert.ok(raised instanceof Error, `accepted ${String(message)}`)
    assert.equal(raised.code, 'ERR_INVALID_DATA', raised.message)
    assert.match(raised.message, message)
  }
  // A series shorter than the window is the data's fault too.
  const short = { unique_id: ['a', 'a', 'a'], ds: air.ds.slice(0, 3), y: [1, 2, 3] }
  await assert.rejects(nf.fit(short), { code: 'ERR_INVALID_DATA' })
  assert.equal(nf.isFitted, false)
})

test('ERR_NOT_FITTED, ERR_USAGE, ERR_IO, ERR_CHECKPOINT', async () => {
  const nf = new NeuralForecast({ models: [small()], freq: 'ME' })
  await assert.rejects(nf.predict(), { code: 'ERR_NOT_FITTED' })
  await assert.rejects(nf.predictInsample(), { code: 'ERR_NOT_FITTED' })
  await nf.fit(airPassengers())
  await assert.rejects(nf.predict({ level: [80], quantiles: [0.5] }), { code: 'ERR_USAGE' })
  await assert.rejects(nf.predict({ level: [80] }), { code: 'ERR_USAGE', message: /conformal|interval/i })
  await assert.rejects(nf.crossValidation(airPassengers(), { nWindows: 0 }), { code: 'ERR_CONFIG' })
  const missing = path.join(tempDir('err'), 'nothing')
  await assert.rejects(NeuralForecast.load(missing), { code: 'ERR_IO', message: /neuralforecast.ndiv/ })
  const dir = path.join(tempDir('err'), 'm')
  await nf.save(dir)
  const file = path.join(dir, 'model-0.ndiv')
  const bytes = fs.readFileSync(file)
  bytes[bytes.length - 1] ^= 0xff
  fs.writeFileSync(file, bytes)
  await assert.rejects(NeuralForecast.load(dir), (e) => {
    assert.equal(e.code, 'ERR_CHECKPOINT', e.message)
    assert.match(e.message, /checksum|corrupt/)
    return true
  })
  fs.writeFileSync(path.join(dir, 'neuralforecast.ndiv'), 'not a checkpoint')
  await assert.rejects(NeuralForecast.load(dir), { code: 'ERR_CHECKPOINT', message: /magic/ })
})

test('a diverging fit rejects with ERR_DIVERGED and the process goes on', async () => {
  const nf = new NeuralForecast({ models: [new NHITS({ h: 4, inputSize: 8, maxSteps: 20, learningRate: 1e30 })], freq: 'ME' })
  await assert.rejects(nf.fit(airPassengers()), { code: 'ERR_DIVERGED' })
  assert.equal(nf.isFitted, false)
})
