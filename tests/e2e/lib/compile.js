// Compiles tests/e2e/contracts/*.sol with the npm solc (0.8.30, evmVersion prague).
// run.sh compiles once per run into $KRNL_E2E_ARTIFACTS; every test file then reads that file.
// Run directly (`node lib/compile.js OUT`) it writes the artifacts to OUT.
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const contractsDir = join(here, '..', 'contracts');

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
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const artifacts = {};
  for (const [, contracts] of Object.entries(output.contracts)) {
    for (const [name, c] of Object.entries(contracts)) {
      artifacts[name] = {
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      };
    }
  }
  return artifacts;
}

let cached;
export function artifacts() {
  if (cached) return cached;
  const path = process.env.KRNL_E2E_ARTIFACTS;
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
  if (!out) throw new Error('usage: node compile.js OUT.json');
  writeFileSync(out, JSON.stringify(compileAll()));
}
