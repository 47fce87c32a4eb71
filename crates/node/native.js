'use strict'
// Loads the addon built for this machine: `neurodiv.<platform>-<arch>[-<abi>].node` beside this
// file (`npm run build`, or `node scripts/copy-addon.js` after `cargo build -p neurodiv-node`),
// else the package of that name (`neurodiv-<platform>-<arch>[-<abi>]`) when one is installed.

const path = require('node:path')

function triple() {
  const { platform, arch } = process
  if (platform === 'linux') {
    const glibc = process.report && process.report.getReport().header.glibcVersionRuntime
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

function load() {
  const name = triple()
  const errors = []
  for (const candidate of [path.join(__dirname, `neurodiv.${name}.node`), `neurodiv-${name}`]) {
    try {
      return require(candidate)
    } catch (e) {
      errors.push(`${candidate}: ${e.message}`)
    }
  }
  const e = new Error(`neurodiv: no native addon for ${name}; build it with \`npm run build\` in crates/node.\n${errors.join('\n')}`)
  e.code = 'ERR_ADDON_NOT_FOUND'
  throw e
}

module.exports = load()
