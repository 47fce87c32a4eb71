'use strict'
// Copies the addon cargo built (`cargo build --release -p neurodiv-node`) to
// `neurodiv.<platform>.node`, the name `native.js` loads on this machine. It looks in the
// directory given, else in `$CARGO_TARGET_DIR/release`, else in the workspace's `target/release`
// (`npm run build` runs both steps).

const fs = require('node:fs')
const path = require('node:path')

const { platform, arch } = process
let abi = ''
if (platform === 'linux') abi = process.report.getReport().header.glibcVersionRuntime ? '-gnu' : '-musl'
if (platform === 'win32') abi = '-msvc'
const lib = { linux: 'libneurodiv_node.so', darwin: 'libneurodiv_node.dylib', win32: 'neurodiv_node.dll' }[platform]
const targetDir = process.env.CARGO_TARGET_DIR || path.join(__dirname, '../../../target')
const from = path.join(process.argv[2] || path.join(targetDir, 'release'), lib)
const to = path.join(__dirname, '..', `neurodiv.${platform}-${arch}${abi}.node`)
fs.copyFileSync(from, to)
console.log(`${from} -> ${to}`)
