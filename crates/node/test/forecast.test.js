'use strict'
// Fit, predict, cross-validation, in-sample, save/load through Node; object-of-columns and
// Apache Arrow frames; the MLP parity figure.

const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const fs = require('node:fs')
const arrow = require('apache-arrow')
const { NeuralForecast, MLP, NHITS, MQLoss, PredictionIntervals, airPassengers } = require('..')
const { REPO, tempDir, airSplit, readCsv } = require('./helpers')

test('AirPassengers MLP parity: mean MAE over seeds 1-3 within 1.1x of NeuralForecast (15.42)', async () => {
  const { train, test: held } = airSplit()
  const maes = []
  for (const seed of [1, 2, 3]) {
    const nf = new NeuralForecast({ models: [new MLP({ h: 12, inputSize: 24, maxSteps: 200, randomSeed: seed })], freq: 'ME' })
    await nf.fit(train)
    const fc = await nf.predict()
    assert.deepEqual(fc.ds.map((d) => d.getTime()), held.ds.map((d) => d.getTime()))
    maes.push(fc.MLP.reduce((s, v, i) => s + Math.abs(v - held.y[i]), 0) / 12)
  }
  const mean = maes.reduce((a, b) => a + b) / 3
  console.log(`MLP parity through Node: MAE ${maes.map((m) => m.toFixed(3)).join(', ')}; mean ${mean.toFixed(2)} = ${(mean / 15.419).toFixed(3)}x NeuralForecast's 15.42`)
  // The same figures as the Rust parity table and the Python package.
  assert.deepEqual(maes.map((m) => Number(m.toFixed(3))), [19.628, 18.036, 12.607])
  assert.ok(mean <= 1.1 * 15.419, `mean MAE ${mean}`)
})

test('fit and predict on an object of columns; same bits from an Arrow table', async () => {
  const air = airPassengers()
  const run = async (df) => {
    const nf = new NeuralForecast({ models: [new NHITS({ h: 12, inputSize: 24, maxSteps: 5 })], freq: 'ME' })
    await nf.fit(df)
    return nf.predict()
  }
  const plain = await run(air)
  assert.deepEqual(Object.keys(plain), ['unique_id', 'ds', 'NHITS'])
  assert.equal(plain.unique_id.length, 12)
  assert.ok(plain.NHITS instanceof Float64Array)
  assert.equal(plain.ds[0].toISOString().slice(0, 10), '1961-01-31')
  const table = arrow.tableFromArrays({
    unique_id: air.unique_id,
    ds: arrow.vectorFromArray(air.ds, new arrow.TimestampMillisecond()),
    y: air.y,
  })
  const fromArrow = await run(table)
  assert.deepEqual(fromArrow.ds, plain.ds)
  assert.deepEqual(Array.from(fromArrow.NHITS), Array.from(plain.NHITS))
  // Date strings and plain arrays work too.
  const text = await run({ unique_id: air.unique_id, ds: air.ds.map((d) => d.toISOString().slice(0, 10)), y: Array.from(air.y) })
  assert.deepEqual(Array.from(text.NHITS), Array.from(plain.NHITS))
})

test('integer timestamps, exogenous columns, static features, futrDf', async () => {
  const panel = readCsv(fs.readFileSync(path.join(REPO, 'data/air_passengers_panel.csv'), 'utf8'))
  const n = panel.ds.length
  const df = { unique_id: panel.unique_id, ds: Array.from({ length: n }, (_, i) => i % 144), y: panel.y.map(Number), trend: panel.trend.map(Number) }
  const isLast = (i) => i % 144 >= 132
  const pick = (keep) => Object.fromEntries(Object.entries(df).map(([k, v]) => [k, v.filter((_, i) => keep(i))]))
  const train = pick((i) => !isLast(i))
  const futr = pick(isLast)
  delete futr.y
  const statics = readCsv(fs.readFileSync(path.join(REPO, 'data/air_passengers_static.csv'), 'utf8'))
  const staticDf = Object.fromEntries(Object.entries(statics).map(([k, v]) => [k, k === 'unique_id' ? v : v.map(Number)]))
  const statNames = Object.keys(staticDf).filter((k) => k !== 'unique_id')
  const nf = new NeuralForecast({
    models: [new NHITS({ h: 12, inputSize: 24, maxSteps: 3, futrExogList: ['trend'], statExogList: statNames })],
    freq: 1,
  })
  await nf.fit(train, { staticDf })
  const fc = await nf.predict({ futrDf: futr })
  assert.equal(fc.unique_id.length, 24)
  assert.deepEqual(fc.ds.slice(0, 2), [132, 133])
  await assert.rejects(nf.predict(), { code: 'ERR_USAGE', message: /futr_df/ })
})

test('intervals, cross-validation and in-sample forecasts', async () => {
  const air = airPassengers()
  const nf = new NeuralForecast({ models: [new MLP({ h: 12, inputSize: 24, maxSteps: 5, loss: new MQLoss({ level: [80] }) })], freq: 'ME' })
  const cv = await nf.crossValidation(air, { nWindows: 2, stepSize: 12 })
  assert.deepEqual(Object.keys(cv), ['unique_id', 'ds', 'cutoff', 'MLP-median', 'MLP-lo-80', 'MLP-hi-80', 'y'])
  assert.equal(cv.ds.length, 24)
  assert.ok(nf.isFitted)
  const ins = await nf.predictInsample({ stepSize: 12 })
  assert.ok(ins.cutoff.length > 0)
  const conformal = new NeuralForecast({ models: [new MLP({ h: 12, inputSize: 24, maxSteps: 5 })], freq: 'ME' })
  await conformal.fit(air, { predictionIntervals: new PredictionIntervals({ nWindows: 2 }) })
  const fc = await conformal.predict({ level: [90] })
  assert.deepEqual(Object.keys(fc), ['unique_id', 'ds', 'MLP', 'MLP-lo-90', 'MLP-hi-90'])
  fc.MLP.forEach((v, i) => assert.ok(fc['MLP-lo-90'][i] <= v && v <= fc['MLP-hi-90'][i]))
})

test('save and load reproduce predictions bit for bit', async () => {
  const dir = path.join(tempDir('save'), 'model')
  const nf = new NeuralForecast({ models: [new MLP({ h: 6, inputSize: 12, maxSteps: 5, alias: 'mine' })], freq: 'ME' })
  await nf.fit(airPassengers())
  await nf.save(dir)
  const before = await nf.predict()
  const loaded = await NeuralForecast.load(dir)
  assert.deepEqual(loaded.models.map((m) => [m.alias, m.h, m.inputSize]), [['mine', 6, 12]])
  assert.equal(loaded.freq, 'ME')
  assert.deepEqual(await loaded.predict(), before)
  await assert.rejects(nf.save(dir), { code: 'ERR_USAGE', message: /overwrite/ })
  await nf.save(dir, { overwrite: true })
})

test('the example of the docs runs', () => {
  const { execFileSync } = require('node:child_process')
  const out = execFileSync(process.execPath, [path.join(__dirname, '../examples/air_passengers.js')], { encoding: 'utf8' })
  assert.match(out, /^unique_id,ds,MLP,y\nAirPassengers,1960-01-31,/)
  const mae = Number(out.match(/MAE ([0-9.]+)\n$/)[1])
  assert.ok(mae < 40, `MAE ${mae}`)
})
