// What examples/rwa-did's runs share (run.mjs: the app calls the engine itself; run-account.mjs: smart
// accounts whose KrnlValidator has the bundler run the kernels): the chains and engine of a running krnld,
// the contract build, deploy/send helpers that name a revert, the RWA platform's metadata API, the three
// kernel specs and their registration, the RWA platform and DID registry with their approvals and scores.
//
// Environment: KRNL_HOME_RPC, KRNL_RWA_RPC, KRNL_DID_RPC (default http://127.0.0.1:8545/8546/8547),
// KRNL_ENGINE_RPC (where krnl_* goes; default the home chain's URL), KRNL_CONTRACTS_OUT (default
// build/contracts).
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createPublicClient,
  createWalletClient,
  decodeAbiParameters,
  decodeErrorResult,
  defineChain,
  encodeFunctionData,
  getAddress,
  http,
  keccak256,
  parseEventLogs,
  stringToHex,
} from 'viem';
import { mnemonicToAccount } from 'viem/accounts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const outdir = resolve(root, process.env.KRNL_CONTRACTS_OUT ?? 'build/contracts');
const urls = {
  home: process.env.KRNL_HOME_RPC ?? 'http://127.0.0.1:8545',
  rwa: process.env.KRNL_RWA_RPC ?? 'http://127.0.0.1:8546',
  did: process.env.KRNL_DID_RPC ?? 'http://127.0.0.1:8547',
};
// The kernel engine (krnl_* methods): krnld answers them on every chain's port, or on its own
// [engine] port when the chains are other nodes (Hardhat: test.sh hardhat).
const ENGINE_URL = process.env.KRNL_ENGINE_RPC ?? urls.home;

const OPERATOR = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'; // the node's signer (dev account 0)
const MIN_SCORE = 70n; // X: the policy's minimum DID score
const ASSET = 7n;
const AMOUNT = 25n;
const FEES = { approval: 1_000n, metadata: 2_000n, did: 500n };
const KIND = { evmRead: 0, http: 1 };
const POLICY_REFUSED = -33003;

const MNEMONIC = 'test test test test test test test test test test test junk';
const [deployer, walletA, walletB, kernelDev] = [0, 1, 2, 3].map((i) => mnemonicToAccount(MNEMONIC, { addressIndex: i }));

// ------------------------------------------------------------------ output

let step = 0;
const say = (text = '') => console.log(text);
const title = (text) => say(`\n${++step}. ${text}`);
const item = (text) => say(`   ${text}`);
class Failure extends Error {}
const fail = (text) => {
  throw new Failure(text);
};

// ------------------------------------------------------------------ artifacts and clients

function artifact(name) {
  const file = join(outdir, 'artifacts', `${name}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    fail(`cannot read ${file} (${e.message}); build the contracts first (scripts/run.sh does)`);
  }
}
/// The artifacts by name; those beyond the first run's are read on first use (`use`).
const A = Object.fromEntries(
  ['KernelRegistry', 'KrnlVault', 'TokenAuthority', 'RwaTradeApp', 'RwaTradePolicy', 'RwaPlatform', 'DidRegistry'].map((n) => [n, artifact(n)]),
);
const use = (...names) => {
  for (const n of names) A[n] ??= artifact(n);
};
const errorAbi = () => Object.values(A).flatMap((a) => a.abi.filter((x) => x.type === 'error'));
const eventAbi = () => Object.values(A).flatMap((a) => a.abi.filter((x) => x.type === 'event'));
const predeploys = JSON.parse(readFileSync(join(outdir, 'predeploys.json'), 'utf8')).predeploys;
const predeployed = (name) => getAddress(predeploys.find((p) => p.name === name).address);
const REGISTRY = predeployed('KernelRegistry');
const VAULT = predeployed('KrnlVault');

function chainOn(key, id) {
  const chain = defineChain({
    id,
    name: `krnl-${key}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [urls[key]] } },
  });
  const transport = http(urls[key], { retryCount: 0 });
  const pub = createPublicClient({ chain, transport, pollingInterval: 50 });
  const wallets = new Map();
  const wallet = (account) => {
    if (!wallets.has(account.address)) wallets.set(account.address, createWalletClient({ chain, transport, account, pollingInterval: 50 }));
    return wallets.get(account.address);
  };
  return { key, id, url: urls[key], pub, wallet };
}
const home = chainOn('home', 31337);
const rwa = chainOn('rwa', 31338);
const did = chainOn('did', 31339);

function revertData(e) {
  for (let x = e; x; x = x.cause) {
    if (typeof x.data === 'string' && x.data.startsWith('0x')) return x.data;
    if (x.data && typeof x.data.data === 'string') return x.data.data;
  }
  return null;
}

function describeRevert(raw) {
  try {
    const d = decodeErrorResult({ abi: errorAbi(), data: raw });
    return { name: d.errorName, args: d.args ?? [], text: `${d.errorName}(${(d.args ?? []).map(String).join(', ')})` };
  } catch {
    return { name: null, args: [], text: `undecoded revert ${raw}` };
  }
}

async function mined(chain, hash, what) {
  const receipt = await chain.pub.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  if (receipt.status !== 'success') fail(`${what}: transaction ${hash} on chain ${chain.id} reverted`);
  return receipt;
}

async function deploy(chain, from, name, args) {
  const hash = await chain.wallet(from).deployContract({ abi: A[name].abi, bytecode: A[name].bytecode, args, gas: 12_000_000n });
  const receipt = await mined(chain, hash, `deploying ${name}`);
  return { address: getAddress(receipt.contractAddress), hash };
}

/// Simulates first (so a revert is reported by name), then sends and waits.
async function send(chain, from, name, address, functionName, args = [], value = 0n) {
  const data = encodeFunctionData({ abi: A[name].abi, functionName, args });
  try {
    await chain.pub.call({ account: from.address, to: address, data, value });
  } catch (e) {
    const raw = revertData(e);
    fail(`${name}.${functionName} on chain ${chain.id} would revert: ${raw ? describeRevert(raw).text : e.shortMessage ?? e.message}`);
  }
  const hash = await chain.wallet(from).sendTransaction({ to: address, data, value, gas: 3_000_000n });
  const receipt = await mined(chain, hash, `${name}.${functionName}`);
  receipt.events = parseEventLogs({ abi: eventAbi(), logs: receipt.logs });
  return receipt;
}

/// Sends without simulating and returns the mined receipt even when the transaction reverts. Hardhat
/// mines a failing transaction but answers eth_sendRawTransaction with its revert, so the hash is
/// computed here from the signed transaction rather than taken from the answer.
async function sendUnchecked(chain, from, to, data) {
  const wallet = chain.wallet(from);
  const request = await wallet.prepareTransactionRequest({ to, data, gas: 3_000_000n });
  const raw = await wallet.signTransaction(request);
  const hash = keccak256(raw);
  let refusal = null;
  try {
    await chain.pub.request({ method: 'eth_sendRawTransaction', params: [raw] });
  } catch (e) {
    refusal = e;
  }
  try {
    return { hash, receipt: await chain.pub.waitForTransactionReceipt({ hash, pollingInterval: 50, timeout: 20_000 }) };
  } catch (e) {
    throw refusal ?? e; // never mined: the node's answer says why
  }
}

const read = (chain, name, address, functionName, args = []) => chain.pub.readContract({ address, abi: A[name].abi, functionName, args });

/// A krnl_* call to the engine that keeps the error's code, message and data (viem wraps them).
async function engine(method, params) {
  let response;
  try {
    response = await fetch(ENGINE_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
  } catch (e) {
    fail(`${method}: no engine at ${ENGINE_URL} (${e.cause?.message ?? e.message})`);
  }
  return response.json();
}

// ------------------------------------------------------------------ the RWA platform's metadata API

/// The platform's off-chain view of its assets. `status` is what the http kernel reads: RwaTradePolicy
/// decodes the metadata kernel's result as a string and requires "active".
const ASSETS = new Map([
  [ASSET, { active: true, issuer: 'Company 1 Real Estate Fund' }],
  [8n, { active: false, issuer: 'Company 1 Bond (matured)' }],
]);
const served = [];

function startMetadataApi() {
  const server = createServer((req, res) => {
    const match = /^\/assets\/(\d{1,30})$/.exec(req.url ?? '');
    const asset = match && ASSETS.get(BigInt(match[1]));
    served.push(`${req.method} ${req.url} -> ${asset ? 200 : 404}`);
    if (req.method !== 'GET' || !asset) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'no such asset' }));
      return;
    }
    const body = { id: match[1], active: asset.active, status: asset.active ? 'active' : 'inactive', issuer: asset.issuer };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen(server));
  });
}

// ------------------------------------------------------------------ kernel specs (src/engine/kernel_spec.hpp)

/// Canonical JSON (sorted keys, no whitespace): the bytes whose keccak the registry stores as specHash.
const canonical = (v) =>
  Array.isArray(v) ? `[${v.map(canonical).join(',')}]`
  : v && typeof v === 'object' ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`
  : JSON.stringify(v);

/// The three kernels. `asset` (for accounts) fixes the asset in the specs: an account's call is
/// execute(target, value, data), whose first argument is the market, not the asset.
const specs = (platform, didRegistry, metadataBase, asset) => ({
  approval: {
    kind: 'evm-read', chainId: 31338, to: platform, function: 'isApproved(address,uint256)',
    args: ['$sender', asset === undefined ? '$args[0]' : asset.toString()], outputs: ['bool'],
  },
  metadata: {
    kind: 'http', method: 'GET', url: `${metadataBase}/assets/${asset === undefined ? '{{$args[0]}}' : asset}`,
    outputs: [{ path: '$.status', type: 'string' }], timeoutMs: 5000,
  },
  did: {
    kind: 'evm-read', chainId: 31339, to: didRegistry, function: 'scoreOf(address)',
    args: ['$sender'], outputs: ['uint256'],
  },
});

// ------------------------------------------------------------------ the engine

const KERNEL_OUTPUTS = { approval: [{ type: 'bool' }], metadata: [{ type: 'string' }], did: [{ type: 'uint256' }] };

function showResponses(responses, kernelIds) {
  const names = Object.fromEntries(Object.entries(kernelIds).map(([name, id]) => [id.toString(), name]));
  for (const r of responses) {
    const id = BigInt(r.kernelId);
    const name = names[id.toString()] ?? '?';
    let value;
    if (r.err) value = `error: ${r.err}`;
    else {
      try {
        value = decodeAbiParameters(KERNEL_OUTPUTS[name], r.result).map((v) => JSON.stringify(typeof v === 'bigint' ? v.toString() : v)).join(', ');
      } catch {
        value = `result ${r.result}`;
      }
    }
    item(`kernel ${id} (${name}): ${value}`);
  }
}

// ------------------------------------------------------------------ shared steps

/// Checks the three chains and the engine (signer, registry, vault) before a run; prints what it found.
async function checkNode() {
  for (const chain of [home, rwa, did]) {
    let id;
    try {
      id = await chain.pub.getChainId();
    } catch (e) {
      fail(`no node at ${chain.url} (${e.shortMessage ?? e.message}); start krnld first: scripts/run.sh`);
    }
    if (id !== chain.id) fail(`${chain.url} serves chain ${id}, expected ${chain.id}`);
  }
  const info = await engine('krnl_nodeInfo', []);
  if (info.error) fail(`krnl_nodeInfo at ${ENGINE_URL} failed: ${info.error.message} (a chain served by another node than krnld needs KRNL_ENGINE_RPC, a krnld engine)`);
  if (getAddress(info.result.signer) !== OPERATOR) fail(`the node signs as ${info.result.signer}, this example expects ${OPERATOR}`);
  if (ENGINE_URL !== home.url) say(`engine: ${ENGINE_URL}`);
  say(`node: signer ${info.result.signer}, home chain ${BigInt(info.result.chainId)}, registry ${info.result.registry}, vault ${info.result.vault}`);
  for (const [name, address, engineSees] of [['KernelRegistry', REGISTRY, info.result.registry], ['KrnlVault', VAULT, info.result.vault]]) {
    if (getAddress(engineSees) !== address) fail(`the engine reads the ${name} at ${engineSees}, this example uses the predeployed one at ${address}`);
    if (((await home.pub.getCode({ address })) ?? '0x') === '0x')
      fail(`no ${name} at ${address} on chain ${home.id}: a node other than krnld needs the predeploys replayed (node examples/rwa-did/predeploys.mjs URL)`);
  }
  return info.result;
}

/// Runs `story(metadataBase)` with the metadata API listening, and stops the API afterwards.
async function withMetadataApi(story) {
  const server = await startMetadataApi();
  try {
    await story(`http://127.0.0.1:${server.address().port}`);
  } finally {
    await new Promise((r) => server.close(r));
    server.closeAllConnections?.();
    say('\nmetadata API stopped');
  }
}

/// The RWA platform (31338) approving `approved` ([[label, address]]) for ASSET, and the DID registry
/// (31339) with `scores` ([[label, address, score]]). Returns {platform, didRegistry} (addresses).
async function deployRwaAndDid({ approved, scores }) {
  title('RWA platform on chain 31338 and DID registry on chain 31339');
  const platform = await deploy(rwa, deployer, 'RwaPlatform', [deployer.address]);
  item(`RwaPlatform ${platform.address} (tx ${platform.hash})`);
  for (const [label, address] of approved) {
    const r = await send(rwa, deployer, 'RwaPlatform', platform.address, 'setApproval', [address, ASSET, true]);
    item(`approved ${label} for asset ${ASSET} (tx ${r.transactionHash})`);
  }
  const didRegistry = await deploy(did, deployer, 'DidRegistry', [deployer.address]);
  item(`DidRegistry ${didRegistry.address} (tx ${didRegistry.hash})`);
  for (const [label, address, score] of scores) {
    const r = await send(did, deployer, 'DidRegistry', didRegistry.address, 'setScore', [address, score]);
    item(`DID score of ${label} = ${score} (tx ${r.transactionHash})`);
  }
  item(`the policy asks for at least ${MIN_SCORE}`);
  return { platform: platform.address, didRegistry: didRegistry.address };
}

/// Registers the three kernels (specs(...)) from the kernel developer's wallet and checks the engine
/// sees them. Returns {approval, metadata, did} ids.
async function registerKernels(spec) {
  title(`three kernels registered in the KernelRegistry ${REGISTRY} on chain 31337 (owner: kernel developer ${kernelDev.address})`);
  const kernelIds = {};
  for (const [name, kind] of [['approval', KIND.evmRead], ['metadata', KIND.http], ['did', KIND.evmRead]]) {
    const text = canonical(spec[name]);
    const r = await send(home, kernelDev, 'KernelRegistry', REGISTRY, 'registerKernel', [kind, stringToHex(text), FEES[name]]);
    const event = r.events.find((e) => e.eventName === 'KernelRegistered');
    if (!event) fail('registerKernel emitted no KernelRegistered event');
    kernelIds[name] = event.args.id;
    item(`kernel ${event.args.id} (${name}, fee ${FEES[name]} wei): ${text}`);
  }
  for (const [name, id] of Object.entries(kernelIds)) {
    const k = await engine('krnl_getKernel', [`0x${id.toString(16)}`]);
    if (k.error) fail(`krnl_getKernel(${id}) failed: ${k.error.code} ${k.error.message}`);
    item(`engine sees kernel ${id} (${name}): kind ${k.result.kind}, active ${k.result.active}, fee ${BigInt(k.result.fee)}`);
  }
  return kernelIds;
}

/// Runs `main` and exits 0, or 1 with a FAILED line.
function runMain(main) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(`\nFAILED: ${e instanceof Failure ? e.message : e.stack ?? e}`);
      process.exit(1);
    },
  );
}

export {
  A,
  AMOUNT,
  ASSET,
  ASSETS,
  ENGINE_URL,
  FEES,
  Failure,
  KERNEL_OUTPUTS,
  MIN_SCORE,
  MNEMONIC,
  OPERATOR,
  POLICY_REFUSED,
  REGISTRY,
  VAULT,
  checkNode,
  deploy,
  deployRwaAndDid,
  describeRevert,
  did,
  deployer,
  engine,
  fail,
  home,
  item,
  kernelDev,
  mined,
  read,
  registerKernels,
  revertData,
  runMain,
  rwa,
  say,
  send,
  sendUnchecked,
  served,
  showResponses,
  specs,
  title,
  urls,
  use,
  walletA,
  walletB,
  withMetadataApi,
};
