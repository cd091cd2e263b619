#!/usr/bin/env node
// Compiles the krnl contracts with solc-js (standard JSON) and writes
//   <outdir>/artifacts/<Name>.json   {contractName, sourceName, abi, bytecode, deployedBytecode}
//   <outdir>/predeploys.json         what krnld deploys at genesis, in order
// Usage: node contracts/build.mjs [--out DIR]   (default DIR: build/contracts)
//
// The EntryPoints are not recompiled: their canonical deployments were made with solc 0.8.23 (v0.7) and
// 0.8.28 (v0.8) and a metadata hash over the upstream source tree, which our pinned 0.8.30 cannot reproduce.
// The npm packages ship the init code of those deployments in artifacts/EntryPoint.json; the build takes it
// from there and proves it is byte-exact by recomputing the CREATE2 address through the deterministic
// deployment proxy with the canonical salt, which must equal the canonical address.
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  concatHex,
  encodeAbiParameters,
  getAddress,
  getContractAddress,
  keccak256,
  parseTransaction,
  recoverTransactionAddress,
  sliceHex,
  size,
} from 'viem';

const require = createRequire(import.meta.url);
const solc = require('solc');

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const modules = join(root, 'node_modules');

const outArg = process.argv.indexOf('--out');
const outdir = resolve(root, outArg >= 0 ? process.argv[outArg + 1] : 'build/contracts');

// --- The deterministic deployment proxy (Arachnid's), deployed by a presigned pre-EIP-155 transaction.
// Its signer is derived from the signature (r = s = 0x22..22), so nobody holds the key and the same
// transaction lands the proxy at the same address on every chain.
const DETERMINISTIC_PROXY = {
  address: '0x4e59b44847b379578588920ca78fbf26c0b4956c',
  rawTransaction:
    '0xf8a58085174876e800830186a08080b853604580600e600039806000f350fe7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf31ba02222222222222222222222222222222222222222222222222222222222222222a02222222222222222222222222222222222222222222222222222222222222222',
  signer: '0x3fab184622dc19b6109349b94811493bf2a45362',
};

const ENTRY_POINTS = [
  {
    name: 'EntryPointV07',
    pkg: '@account-abstraction/contracts-v07',
    salt: '0x90d8084deab30c2a37c45e8d47f49f2f7965183cb6990a98943ef94940681de3',
    expectedAddress: '0x0000000071727De22E5E9d8BAf0edAc6f37da032',
  },
  {
    name: 'EntryPointV08',
    pkg: '@account-abstraction/contracts-v08',
    salt: '0x0a59dbff790c23c976a548690c27297883cc66b4c67024f9117b0238995e35e9',
    expectedAddress: '0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108',
  },
];

// SimpleAccountFactory v0.7 and v0.8 at their canonical addresses (the proxy, salt 0, the packages'
// init code with the EntryPoint as argument), so tools that create SimpleAccounts (permissionless's
// toSimpleSmartAccount, ...) work unchanged.
const SIMPLE_ACCOUNT_FACTORIES = [
  { name: 'SimpleAccountFactoryV07', pkg: '@account-abstraction/contracts-v07', entryPoint: 'EntryPointV07', expectedAddress: '0x91E60e0613810449d098b0b5Ec8b51A0FE8c8985' },
  { name: 'SimpleAccountFactoryV08', pkg: '@account-abstraction/contracts-v08', entryPoint: 'EntryPointV08', expectedAddress: '0x13E9ed32155810FDbd067D4522C492D6f68E5944' },
];

// Reference contracts (benchmarks and tests only, never predeployed).
const REFERENCE_ARTIFACTS = [
  ['@account-abstraction/contracts-v07', 'SimpleAccountFactory', 'SimpleAccountFactoryV07'],
  ['@account-abstraction/contracts-v07', 'SimpleAccount', 'SimpleAccountV07'],
  ['@account-abstraction/contracts-v08', 'SimpleAccountFactory', 'SimpleAccountFactoryV08'],
  ['@account-abstraction/contracts-v08', 'SimpleAccount', 'SimpleAccountV08'],
];

const ZERO_SALT = '0x0000000000000000000000000000000000000000000000000000000000000000';

function fail(message) {
  console.error(`build.mjs: ${message}`);
  process.exit(1);
}

function solFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...solFiles(path));
    else if (entry.endsWith('.sol')) out.push(path);
  }
  return out.sort();
}

function findImport(path) {
  // Library imports resolve to node_modules; solady's sources live under src/.
  const candidates = path.startsWith('solady/')
    ? [join(modules, 'solady/src', path.slice('solady/'.length))]
    : [join(modules, path), join(root, path)];
  for (const file of candidates) {
    if (existsSync(file)) return { contents: readFileSync(file, 'utf8') };
  }
  return { error: `not found: ${path}` };
}

function compile(sourcePaths) {
  const sources = {};
  for (const file of sourcePaths) sources[relative(root, file)] = { content: readFileSync(file, 'utf8') };
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      evmVersion: 'prague',
      optimizer: { enabled: true, runs: 1_000_000 },
      viaIR: true,
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  for (const e of output.errors ?? []) {
    if (e.severity !== 'error' && !e.sourceLocation?.file?.includes('node_modules') && !/solady|account-abstraction/.test(e.sourceLocation?.file ?? ''))
      console.warn(e.formattedMessage);
  }
  if (errors.length) fail(errors.map((e) => e.formattedMessage).join('\n'));
  return output.contracts;
}

function writeArtifact(name, artifact) {
  writeFileSync(join(outdir, 'artifacts', `${name}.json`), JSON.stringify(artifact, null, 2) + '\n');
}

function create2ViaProxy(salt, initCode) {
  return getContractAddress({ opcode: 'CREATE2', from: DETERMINISTIC_PROXY.address, salt, bytecode: initCode });
}

async function checkDeterministicProxy() {
  const tx = parseTransaction(DETERMINISTIC_PROXY.rawTransaction);
  const signer = await recoverTransactionAddress({ serializedTransaction: DETERMINISTIC_PROXY.rawTransaction });
  if (getAddress(signer) !== getAddress(DETERMINISTIC_PROXY.signer)) fail(`proxy signer is ${signer}`);
  const created = getContractAddress({ from: signer, nonce: 0n });
  if (getAddress(created) !== getAddress(DETERMINISTIC_PROXY.address)) fail(`proxy lands at ${created}`);
  if (tx.chainId !== undefined) fail('the proxy transaction must be chain-agnostic (pre-EIP-155)');
  // The init code is a 14-byte loader (PUSH1 0x45 ... RETURN) followed by the runtime it returns.
  const initCode = tx.data;
  const loader = sliceHex(initCode, 0, 14);
  if (loader !== '0x604580600e600039806000f350fe') fail(`unexpected proxy loader ${loader}`);
  const runtimeCode = sliceHex(initCode, 14);
  if (size(runtimeCode) !== 0x45) fail('unexpected proxy runtime size');
  const fee = tx.gas * tx.gasPrice;
  return {
    name: 'DeterministicDeploymentProxy',
    address: getAddress(DETERMINISTIC_PROXY.address),
    runtimeCode,
    deployment: {
      kind: 'presigned-transaction',
      rawTransaction: DETERMINISTIC_PROXY.rawTransaction,
      signer: getAddress(signer),
      nonce: 0,
      gasPrice: `0x${tx.gasPrice.toString(16)}`,
      gasLimit: `0x${tx.gas.toString(16)}`,
      // The signer must hold this much before the transaction is sent.
      fundingWei: `0x${fee.toString(16)}`,
    },
  };
}

async function main() {
  mkdirSync(join(outdir, 'artifacts'), { recursive: true });
  const proxy = await checkDeterministicProxy();

  const ours = [...solFiles(join(here, 'src')), ...solFiles(join(here, 'test/contracts'))];
  const contracts = compile(ours);
  const byName = {};
  for (const [sourceName, perFile] of Object.entries(contracts)) {
    if (!sourceName.startsWith('contracts/')) continue;
    for (const [contractName, c] of Object.entries(perFile)) {
      if (!c.evm.bytecode.object) continue; // interfaces and abstract contracts
      if (byName[contractName]) fail(`duplicate contract name ${contractName}`);
      const artifact = {
        contractName,
        sourceName,
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      };
      byName[contractName] = artifact;
      writeArtifact(contractName, artifact);
    }
  }

  const predeploys = [proxy];
  for (const ep of ENTRY_POINTS) {
    const a = JSON.parse(readFileSync(join(modules, ep.pkg, 'artifacts/EntryPoint.json'), 'utf8'));
    const address = create2ViaProxy(ep.salt, a.bytecode);
    if (address !== getAddress(ep.expectedAddress)) fail(`${ep.name} init code lands at ${address}, not ${ep.expectedAddress}`);
    writeArtifact(ep.name, { contractName: ep.name, sourceName: `${ep.pkg}/core/EntryPoint.sol`, abi: a.abi, bytecode: a.bytecode, deployedBytecode: a.deployedBytecode });
    predeploys.push({ name: ep.name, address, deployer: proxy.address, salt: ep.salt, initCode: a.bytecode, expectedAddress: getAddress(ep.expectedAddress) });
  }
  // The bundler simulates validation by placing EntryPointSimulations' runtime code at the EntryPoint's
  // address (a state override); that code is embedded beside the manifest, never deployed.
  const entryPointSimulations = {};
  for (const ep of ENTRY_POINTS) {
    const a = JSON.parse(readFileSync(join(modules, ep.pkg, 'artifacts/EntryPointSimulations.json'), 'utf8'));
    entryPointSimulations[ep.name] = a.deployedBytecode;
  }
  for (const f of SIMPLE_ACCOUNT_FACTORIES) {
    const a = JSON.parse(readFileSync(join(modules, f.pkg, 'artifacts/SimpleAccountFactory.json'), 'utf8'));
    const entryPoint = predeploys.find((p) => p.name === f.entryPoint).address;
    const initCode = concatHex([a.bytecode, encodeAbiParameters([{ type: 'address' }], [entryPoint])]);
    const address = create2ViaProxy(ZERO_SALT, initCode);
    if (address !== getAddress(f.expectedAddress)) fail(`${f.name} init code lands at ${address}, not ${f.expectedAddress}`);
    predeploys.push({ name: f.name, address, deployer: proxy.address, salt: ZERO_SALT, initCode, expectedAddress: address });
  }
  for (const [pkg, name, as] of REFERENCE_ARTIFACTS) {
    const a = JSON.parse(readFileSync(join(modules, pkg, `artifacts/${name}.json`), 'utf8'));
    writeArtifact(as, { contractName: as, sourceName: a.sourceName, abi: a.abi, bytecode: a.bytecode, deployedBytecode: a.deployedBytecode });
  }

  // Our predeploys, in dependency order. Constructor arguments that are addresses of other predeploys
  // are filled in from the addresses computed above, so the whole set is reproducible from the manifest.
  const addressOf = Object.fromEntries(predeploys.map((p) => [p.name, p.address]));
  const ours_ = [
    { name: 'ECDSAValidator' },
    { name: 'WeightedMultisigValidator' },
    { name: 'SessionKeyValidator' },
    { name: 'PasskeyValidator' },
    { name: 'RecoveryExecutor' },
    { name: 'TokenActions' },
    { name: 'AccountV07', args: [['address'], () => [addressOf.EntryPointV07]] },
    { name: 'AccountV08', args: [['address'], () => [addressOf.EntryPointV08]] },
    { name: 'AccountFactoryV07', contract: 'AccountFactory', args: [['address', 'address'], () => [addressOf.AccountV07, addressOf.EntryPointV07]] },
    { name: 'AccountFactoryV08', contract: 'AccountFactory', args: [['address', 'address'], () => [addressOf.AccountV08, addressOf.EntryPointV08]] },
    // The KRNL registry and fee vault of every chain: kernel fee changes and deactivations take an
    // hour's notice, operators unstake after a day and stake at least 1 ETH.
    { name: 'KernelRegistry', args: [['uint64', 'uint64', 'uint256'], () => [3600n, 86400n, 10n ** 18n]] },
    { name: 'KrnlVault', args: [['address'], () => [addressOf.KernelRegistry]] },
    // The accounts' token authority (issue 12): per account, its trusted node signers, k, policy and the
    // kernels each selector requires; settles fees through the vault above.
    { name: 'KrnlValidator', args: [['address', 'address'], () => [addressOf.KernelRegistry, addressOf.KrnlVault]] },
  ];
  for (const p of ours_) {
    const artifact = byName[p.contract ?? p.name];
    if (!artifact) fail(`no artifact for ${p.contract ?? p.name}`);
    const initCode = p.args
      ? concatHex([artifact.bytecode, encodeAbiParameters(p.args[0].map((type) => ({ type })), p.args[1]())])
      : artifact.bytecode;
    const address = create2ViaProxy(ZERO_SALT, initCode);
    addressOf[p.name] = address;
    predeploys.push({ name: p.name, address, deployer: proxy.address, salt: ZERO_SALT, initCode, expectedAddress: address, artifact: artifact.contractName });
  }

  const manifest = {
    generatedBy: 'contracts/build.mjs',
    compiler: `solc ${solc.version()}`,
    // Order matters: the proxy first, then each CREATE2 deployment in list order.
    predeploys,
    entryPointSimulations,
  };
  writeFileSync(join(outdir, 'predeploys.json'), JSON.stringify(manifest, null, 2) + '\n');
  console.log(`build.mjs: ${Object.keys(byName).length} artifacts, ${predeploys.length} predeploys -> ${relative(process.cwd(), outdir) || '.'}`);
  for (const p of predeploys) console.log(`  ${p.name.padEnd(30)} ${p.address}`);
}

await main();
