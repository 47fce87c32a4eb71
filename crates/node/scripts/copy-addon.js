'use strict'
// Copies the addon cargo built (`cargo build --release -p neurodiv-node`) from the target
// directory given to `neurodiv.<platform>.node`, the name `native.js` loads on this machine
// (`node scripts/copy-addon.js "$CARGO_TARGET_DIR/release"`).

const fs = require('node:fs')
const path = require('node:path')

const { platform, arch } = process
let abi = ''
if (platform === 'linux') abi = process.report.getReport().header.glibcVersionRuntime ? '-gnu' : '-musl'
if (platform === 'win32') abi = '-msvc'
const lib = { linux: 'libneurodiv_node.so', darwin: 'libneurodiv_node.dylib', win32: 'neurodiv_node.dll' }[platform]
const from = path.join(process.argv[2] || path.join(__dirname, '../../../target/release'), lib)
const to = path.join(__dirname, '..', `neurodiv.${platform}-${arch}${abi}.node`)
fs.copyFileSync(from, to)
console.log(`${from} -> ${to}`)
