// docs/kernel-spec.schema.json against docs/kernel-spec.examples.json: the schema accepts every spec the
// engine's parser accepts and refuses every one it refuses (src/engine/kernel_spec_schema_test.cpp checks the
// parser side), except the refusals marked schemaCannotTell (rules across fields, or inside ABI types).
// Needs no node: `node --test tests/krnl/suite/kernel-spec-schema.test.mjs` runs it alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const load = (path) => JSON.parse(readFileSync(resolve(root, path), 'utf8'));
const schema = load('docs/kernel-spec.schema.json');
const examples = load('docs/kernel-spec.examples.json');

const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
const validate = ajv.compile(schema);
const brief = (spec) => JSON.stringify(spec).slice(0, 200);

test('the schema is a valid draft 2020-12 schema', () => {
  assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  assert.ok(ajv.validateSchema(schema), JSON.stringify(ajv.errors));
});

test('every valid example, of every kind, is accepted', () => {
  const kinds = new Set();
  for (const spec of examples.valid) {
    assert.ok(validate(spec), `refused ${brief(spec)}: ${ajv.errorsText(validate.errors)}`);
    kinds.add(spec.kind);
  }
  assert.deepEqual([...kinds].sort(), ['evm-compute', 'evm-read', 'http']);
});

test('every invalid example the schema can tell is refused', () => {
  const told = examples.invalid.filter((e) => !e.schemaCannotTell);
  assert.ok(told.length >= 40, `only ${told.length} examples`);
  for (const { spec, why } of told) assert.equal(validate(spec), false, `accepted, but ${why}: ${brief(spec)}`);
});

test('the refusals the schema cannot tell are still well-formed specs of a kind', () => {
  // Documented as parser-only: the schema accepts them (otherwise the flag is stale and should go).
  const untold = examples.invalid.filter((e) => e.schemaCannotTell);
  assert.ok(untold.length > 0);
  for (const { spec, why } of untold) assert.ok(validate(spec), `refused though flagged schemaCannotTell (${why}): drop the flag`);
});
