'use strict'
// `npm pack` makes a tarball that installs into an empty project and works there.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { tempDir } = require('./helpers')

const PKG = path.resolve(__dirname, '..')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

test('npm pack, then install into an empty project and forecast there', () => {
  const out = tempDir('pack')
  const name = execFileSync(npm, ['pack', '--silent', '--pack-destination', out], { cwd: PKG, encoding: 'utf8' }).trim().split('\n').pop()
  const project = path.join(out, 'project')
  fs.mkdirSync(project)
  fs.writeFileSync(path.join(project, 'package.json'), '{ "name": "empty", "version": "1.0.0", "private": true }\n')
  execFileSync(npm, ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', path.join(out, name)], { cwd: project, encoding: 'utf8' })
  const script = `
    const { NeuralForecast, MLP, airPassengers } = require('neurodiv')
    const nf = new NeuralForecast({ models: [new MLP({ h: 3, inputSize: 6, maxSteps: 2 })], freq: 'ME' })
    nf.fit(airPassengers()).then(() => nf.predict()).then((fc) => console.log(fc.MLP.length))`
  const printed = execFileSync(process.execPath, ['-e', script], { cwd: project, encoding: 'utf8' })
  assert.equal(printed.trim(), '3')
})
