#!/usr/bin/env node
// Validates CSAF 2.0 documents with BSI's @secvisogram/csaf-validator-lib:
// the strict schema test (the JSON schema with every unknown key refused, so a
// private field cannot slip into an export) and every mandatory test of
// section 6.1. Optional and informative tests are left out on purpose: they
// are recommendations, and some need tools (hunspell) CI does not have.
//
// Usage: node validate.mjs FILE_OR_DIR...
//   A directory stands for every *.json file below it.
// Prints one line per error, `file: test pointer: message`, then a summary.
// Exit status: 0 when every document passes, 1 on any error, 2 on bad usage.
//
// Install the pinned library first: `npm ci` in this folder.

import fs from 'node:fs'
import path from 'node:path'
import validateStrict from '@secvisogram/csaf-validator-lib/validateStrict.js'
import * as mandatory from '@secvisogram/csaf-validator-lib/mandatoryTests.js'
import { csaf_2_0_strict } from '@secvisogram/csaf-validator-lib/schemaTests.js'

const mandatoryTests = Object.values(mandatory)
// 6.1.1 to 6.1.33 with 6.1.27.1 to 6.1.27.11: 43 tests. A library update that
// renamed or dropped one must not quietly validate less.
if (mandatoryTests.length !== 43) {
  console.error(`validate.mjs: expected 43 mandatory tests, the library has ${mandatoryTests.length}`)
  process.exit(2)
}
const tests = [csaf_2_0_strict, ...mandatoryTests]

function files(arg) {
  const stat = fs.statSync(arg, { throwIfNoEntry: false })
  if (!stat) throw new Error(`${arg}: no such file or directory`)
  if (!stat.isDirectory()) return [arg]
  return fs
    .readdirSync(arg, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const p = path.join(arg, e.name)
      if (e.isDirectory()) return files(p)
      return e.name.endsWith('.json') ? [p] : []
    })
}

const args = process.argv.slice(2)
if (args.length === 0 || args.includes('-h') || args.includes('--help')) {
  console.error('usage: node validate.mjs FILE_OR_DIR...')
  process.exit(2)
}

let list
try {
  list = args.flatMap(files)
} catch (e) {
  console.error(`validate.mjs: ${e.message}`)
  process.exit(2)
}
if (list.length === 0) {
  console.error('validate.mjs: no *.json file to validate')
  process.exit(2)
}

let errors = 0
let failed = 0
for (const file of list) {
  let doc
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (e) {
    errors++
    failed++
    console.log(`${file}: json /: ${e.message}`)
    continue
  }
  const result = await validateStrict(tests, doc)
  let mine = 0
  for (const test of result.tests) {
    for (const e of test.errors) {
      mine++
      console.log(`${file}: ${test.name} ${e.instancePath || '/'}: ${e.message}`)
    }
  }
  errors += mine
  if (mine > 0 || !result.isValid) failed++
}
console.log(
  `validated ${list.length} document${list.length === 1 ? '' : 's'} ` +
    `(strict schema + ${mandatoryTests.length} mandatory tests): ` +
    `${errors} error${errors === 1 ? '' : 's'} in ${failed} document${failed === 1 ? '' : 's'}`
)
process.exit(failed > 0 ? 1 : 0)
