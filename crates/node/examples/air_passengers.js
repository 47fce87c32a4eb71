'use strict'
// Fits MLP on AirPassengers without its last 12 months, forecasts them and prints the forecast
// beside the actual values and the mean absolute error (`node examples/air_passengers.js`).

const { NeuralForecast, MLP, airPassengers } = require('..')

async function main() {
  const air = airPassengers()
  const n = air.y.length
  const train = { unique_id: air.unique_id.slice(0, n - 12), ds: air.ds.slice(0, n - 12), y: air.y.slice(0, n - 12) }
  const nf = new NeuralForecast({ models: [new MLP({ h: 12, inputSize: 24, maxSteps: 100, hiddenSize: 256 })], freq: 'ME' })
  await nf.fit(train)
  const fc = await nf.predict()
  let mae = 0
  console.log('unique_id,ds,MLP,y')
  fc.ds.forEach((ds, i) => {
    const actual = air.y[n - 12 + i]
    mae += Math.abs(fc.MLP[i] - actual) / 12
    console.log(`${fc.unique_id[i]},${ds.toISOString().slice(0, 10)},${fc.MLP[i].toFixed(1)},${actual}`)
  })
  console.log(`MAE ${mae.toFixed(2)}`)
}

main().catch((e) => {
  console.error(`${e.code}: ${e.message}`)
  process.exitCode = 1
})
