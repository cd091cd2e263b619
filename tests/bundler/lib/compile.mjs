// Compiles tests/bundler/contracts/*.sol with the npm solc (0.8.30, evmVersion prague; optimizer runs=1, which
// keeps the factory, that embeds the account's creation code, under the 24 KiB code limit: every
// scenario's result feeds a value the contract later reads, so no opcode is optimised away, and
// scenarios.test.mjs checks each on chain). run.sh compiles once per run into
// $KRNL_BUNDLER_ARTIFACTS; the test files read that file (or compile themselves when run alone).
//   node tests/bundler/lib/compile.mjs OUT.json
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const contractsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'contracts');

export function compileAll() {
  const solc = createRequire(import.meta.url)('solc');
  const sources = {};
  for (const file of readdirSync(contractsDir).filter((f) => f.endsWith('.sol')).sort()) {
    sources[file] = { content: readFileSync(join(contractsDir, file), 'utf8') };
  }
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      evmVersion: 'prague',
      optimizer: { enabled: true, runs: 1 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const artifacts = {};
  for (const contracts of Object.values(output.contracts)) {
    for (const [name, c] of Object.entries(contracts)) {
      artifacts[name] = { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
    }
  }
  return artifacts;
}

let cached;
/** The compiled scenario contracts: {Name: {abi, bytecode}}. */
export function artifacts() {
  if (cached) return cached;
  const path = process.env.KRNL_BUNDLER_ARTIFACTS;
  if (path && existsSync(path)) {
    cached = JSON.parse(readFileSync(path, 'utf8'));
  } else {
    cached = compileAll();
    if (path) writeFileSync(path, JSON.stringify(cached));
  }
  return cached;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: node compile.mjs OUT.json');
  writeFileSync(out, JSON.stringify(compileAll()));
}
