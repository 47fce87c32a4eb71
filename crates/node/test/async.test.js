'use strict'
// The work runs on the libuv pool: the event loop keeps running during a fit; progress comes
// through a callback; an AbortSignal cancels a running fit, which then keeps nothing.

const test = require('node:test')
const assert = require('node:assert/strict')
const { NeuralForecast, MLP, airPassengers } = require('..')

test('the event loop stays responsive during a fit, and progress is reported', async () => {
  const nf = new NeuralForecast({ models: [new MLP({ h: 12, inputSize: 24, maxSteps: 300, hiddenSize: 256 })], freq: 'ME' })
  let ticks = 0
  const timer = setInterval(() => { ticks += 1 }, 5)
  const seen = []
  const started = Date.now()
  await nf.fit(airPassengers(), { onProgress: (p) => seen.push(p) })
  const elapsed = Date.now() - started
  clearInterval(timer)
  // Let the last progress calls (queued, non-blocking) arrive.
  await new Promise((resolve) => setImmediate(resolve))
  assert.ok(seen.length > 0 && seen.length <= 300, `${seen.length} progress calls`)
  assert.deepEqual(Object.keys(seen[0]).sort(), ['maxSteps', 'model', 'step', 'trainLoss'])
  assert.equal(seen[0].maxSteps, 300)
  assert.ok(seen.every((p, i) => i === 0 || p.step > seen[i - 1].step))
  // A blocked loop would fire the timer at most once.
  assert.ok(ticks >= Math.min(5, elapsed / 20), `${ticks} timer ticks in ${elapsed} ms`)
})

test('an AbortSignal cancels a running fit: ERR_CANCELLED, nothing kept', async () => {
  const nf = new NeuralForecast({ models: [new MLP({ h: 12, inputSize: 24, maxSteps: 100000 })], freq: 'ME' })
  const controller = new AbortController()
  let steps = 0
  const fit = nf.fit(airPassengers(), {
    signal: controller.signal,
    onProgress: (p) => {
      steps = p.step
      if (p.step >= 5) controller.abort()
    },
  })
  await assert.rejects(fit, { code: 'ERR_CANCELLED' })
  assert.ok(steps >= 5 && steps < 100000, `${steps} steps`)
  assert.equal(nf.isFitted, false)
  await assert.rejects(nf.predict(), { code: 'ERR_NOT_FITTED' })
  // An already aborted signal rejects at once; the forecaster is usable afterwards.
  await assert.rejects(nf.fit(airPassengers(), { signal: AbortSignal.abort() }), { code: 'ERR_CANCELLED' })
  const quick = new NeuralForecast({ models: [new MLP({ h: 12, inputSize: 24, maxSteps: 3 })], freq: 'ME' })
  await quick.fit(airPassengers(), { signal: new AbortController().signal })
  assert.equal(quick.isFitted, true)
})

test('a second call while a fit runs is refused with ERR_BUSY', async () => {
  const nf = new NeuralForecast({ models: [new MLP({ h: 12, inputSize: 24, maxSteps: 100000 })], freq: 'ME' })
  const controller = new AbortController()
  let running
  const started = new Promise((resolve) => { running = resolve })
  const fit = nf.fit(airPassengers(), { signal: controller.signal, onProgress: running })
  await started
  await assert.rejects(nf.predict(), { code: 'ERR_BUSY' })
  controller.abort()
  await assert.rejects(fit, { code: 'ERR_CANCELLED' })
})
