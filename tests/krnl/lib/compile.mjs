// Compiles tests/krnl/contracts/*.sol with the npm solc (0.8.30, evmVersion prague). The suite's contracts
// import the KRNL contracts from contracts/src/krnl (relative paths) and solady from node_modules.
// run.sh compiles once per run into $KRNL_TEST_ARTIFACTS; test files read that file (or compile themselves
// when run alone). `node lib/compile.mjs OUT.json` writes the artifacts to OUT.json.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const contractsDir = join(root, 'tests/krnl/contracts');

function findImport(path) {
  const file = path.startsWith('solady/') ? join(root, 'node_modules/solady/src', path.slice('solady/'.length)) : join(root, path);
  if (!existsSync(file)) return { error: `not found: ${path}` };
  return { contents: readFileSync(file, 'utf8') };
}

export function compileAll() {
  const solc = createRequire(import.meta.url)('solc');
  const sources = {};
  for (const file of readdirSync(contractsDir).filter((f) => f.endsWith('.sol')).sort()) {
    sources[`tests/krnl/contracts/${file}`] = { content: readFileSync(join(contractsDir, file), 'utf8') };
  }
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      evmVersion: 'prague',
      // As contracts/build.mjs compiles the KRNL contracts (KrnlVault needs the IR pipeline).
      viaIR: true,
      optimizer: { enabled: true, runs: 200 },
      outputSelection: Object.fromEntries(
        Object.keys(sources).map((s) => [s, { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] }]),
      ),
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const artifacts = {};
  for (const [source, contracts] of Object.entries(output.contracts)) {
    if (!source.startsWith('tests/krnl/contracts/')) continue;
    for (const [name, c] of Object.entries(contracts)) {
      artifacts[name] = { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}`, deployedBytecode: `0x${c.evm.deployedBytecode.object}` };
    }
  }
  return artifacts;
}

let cached;
export function testArtifacts() {
  if (cached) return cached;
  const path = process.env.KRNL_TEST_ARTIFACTS;
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
