'use strict'
// The TypeScript side: the committed index.d.ts is what scripts/gen-dts.js writes from the
// registry, and the example of docs/node.md type-checks against it (`tsc --noEmit`).

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { REPO, tempDir } = require('./helpers')

const PKG = path.resolve(__dirname, '..')

test('index.d.ts is current', () => {
  const fresh = execFileSync(process.execPath, [path.join(PKG, 'scripts/gen-dts.js')], { encoding: 'utf8' })
  const committed = fs.readFileSync(path.join(PKG, 'index.d.ts'), 'utf8')
  assert.ok(fresh === committed, 'index.d.ts is stale: run `node scripts/gen-dts.js > index.d.ts`')
})

test("the docs' TypeScript example type-checks (tsc --noEmit)", () => {
  const doc = fs.readFileSync(path.join(REPO, 'docs/node.md'), 'utf8')
  const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1])
  assert.ok(blocks.length > 0, 'docs/node.md has no ```ts block')
  const dir = tempDir('tsc')
  // The package as a user's project sees it once installed.
  fs.mkdirSync(path.join(dir, 'node_modules'))
  fs.symlinkSync(PKG, path.join(dir, 'node_modules', 'neurodiv'), 'dir')
  blocks.forEach((code, i) => fs.writeFileSync(path.join(dir, `example${i}.ts`), code))
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: 'es2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      types: ['node'],
      typeRoots: [path.join(PKG, 'node_modules/@types')],
    },
    include: ['*.ts'],
  }))
  const tsc = path.join(PKG, 'node_modules/typescript/bin/tsc')
  try {
    execFileSync(process.execPath, [tsc, '--noEmit', '-p', dir], { encoding: 'utf8' })
  } catch (e) {
    assert.fail(`tsc --noEmit failed:\n${e.stdout}${e.stderr}`)
  }
})
