// Shared setup of the krnl_* suite: the node's two chains (run.sh exports their URLs), raw JSON-RPC helpers
// that keep an error's code, message and data, dev accounts, contract artifacts and deployment.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPublicClient, createWalletClient, defineChain, encodeFunctionData, getAddress, http, parseEventLogs } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { testArtifacts } from './compile.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const contractsOut = resolve(root, process.env.KRNL_TEST_CONTRACTS_OUT ?? 'build/contracts');

export const HOME_ID = 31337;
export const OTHER_ID = 31338;
export const urls = {
  home: process.env.KRNL_TEST_HOME_URL ?? 'http://127.0.0.1:8545',
  other: process.env.KRNL_TEST_OTHER_URL ?? 'http://127.0.0.1:8546',
};
/** engine.node_fee of the node run.sh starts (wei per execution). */
export const NODE_FEE = BigInt(process.env.KRNL_TEST_NODE_FEE ?? '0');

export const MNEMONIC = 'test test test test test test test test test test test junk';
export const dev = Array.from({ length: 10 }, (_, i) => mnemonicToAccount(MNEMONIC, { addressIndex: i }));
/** The node's signer: engine.dev_key = 0. */
export const OPERATOR = dev[0].address;

function chainOn(key, id) {
  const chain = defineChain({
    id,
    name: `krnl-${key}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [urls[key]] } },
  });
  const transport = http(urls[key], { retryCount: 0, timeout: 60_000 });
  const pub = createPublicClient({ chain, transport, pollingInterval: 50 });
  const wallets = new Map();
  const wallet = (account) => {
    if (!wallets.has(account.address)) wallets.set(account.address, createWalletClient({ chain, transport, account, pollingInterval: 50 }));
    return wallets.get(account.address);
  };
  return { key, id, url: urls[key], pub, wallet };
}
export const home = chainOn('home', HOME_ID);
export const other = chainOn('other', OTHER_ID);

// ------------------------------------------------------------------ JSON-RPC

let nextId = 1;

/** POSTs a raw body (a string is sent as it is) and returns { status, text, json }. */
export async function post(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = text.length ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

/** One JSON-RPC call; the whole reply ({ result } or { error }), checked for its envelope. */
export async function rpcRaw(method, params = [], url = home.url) {
  const id = nextId++;
  const { json } = await post(url, { jsonrpc: '2.0', id, method, params });
  assert.ok(json && typeof json === 'object', `${method}: no JSON reply`);
  assert.equal(json.jsonrpc, '2.0');
  assert.equal(json.id, id);
  return json;
}

/** A call that must succeed: its result. */
export async function rpc(method, params = [], url = home.url) {
  const reply = await rpcRaw(method, params, url);
  if (reply.error) throw new Error(`${method} failed: ${reply.error.code} ${reply.error.message}`);
  assert.ok('result' in reply, `${method}: a reply without result or error`);
  return reply.result;
}

/** A call that must fail: its error ({ code, message, data? }). */
export async function rpcError(method, params = [], url = home.url) {
  const reply = await rpcRaw(method, params, url);
  assert.ok(reply.error, `${method} should fail but returned ${JSON.stringify(reply.result)?.slice(0, 400)}`);
  assert.ok(!('result' in reply), 'an error reply has no result');
  assert.equal(typeof reply.error.code, 'number');
  assert.equal(typeof reply.error.message, 'string');
  return reply.error;
}

/** Asserts an error's code and that its message matches every pattern; returns the error. */
export function assertError(error, code, ...patterns) {
  assert.equal(error.code, code, `code ${error.code}, expected ${code} (message: ${error.message})`);
  for (const p of patterns) assert.match(error.message, p, `message of the ${code} error`);
  return error;
}

export const hex = (n) => `0x${BigInt(n).toString(16)}`;
export const lower = (a) => a.toLowerCase();

// ------------------------------------------------------------------ contracts

const buildArtifacts = new Map();
/** An artifact of build/contracts (KernelRegistry, TokenAuthority, ...) or of tests/krnl/contracts. */
export function artifact(name) {
  const own = testArtifacts()[name];
  if (own) return own;
  if (!buildArtifacts.has(name)) {
    const file = join(contractsOut, 'artifacts', `${name}.json`);
    buildArtifacts.set(name, JSON.parse(readFileSync(file, 'utf8')));
  }
  return buildArtifacts.get(name);
}

const predeploys = JSON.parse(readFileSync(join(contractsOut, 'predeploys.json'), 'utf8')).predeploys;
const predeployed = (name) => getAddress(predeploys.find((p) => p.name === name).address);
export const REGISTRY = predeployed('KernelRegistry');
export const VAULT = predeployed('KrnlVault');

const eventAbi = () =>
  ['KernelRegistry', 'KrnlVault', 'TokenAuthority', 'KrnlTestApp'].flatMap((n) => artifact(n).abi.filter((x) => x.type === 'event'));

async function mined(chain, hash, what) {
  const receipt = await chain.pub.waitForTransactionReceipt({ hash, pollingInterval: 50, timeout: 30_000 });
  assert.equal(receipt.status, 'success', `${what}: transaction ${hash} on chain ${chain.id} reverted`);
  return receipt;
}

/** Deploys `name` from `from` on `chain`; its address. */
export async function deploy(chain, from, name, args = []) {
  const a = artifact(name);
  const hash = await chain.wallet(from).deployContract({ abi: a.abi, bytecode: a.bytecode, args, gas: 12_000_000n });
  const receipt = await mined(chain, hash, `deploying ${name}`);
  return getAddress(receipt.contractAddress);
}

/** Sends a transaction calling `functionName` and waits for it; the receipt with decoded `events`. */
export async function send(chain, from, name, address, functionName, args = [], value = 0n) {
  const data = encodeFunctionData({ abi: artifact(name).abi, functionName, args });
  const hash = await chain.wallet(from).sendTransaction({ to: address, data, value, gas: 3_000_000n });
  const receipt = await mined(chain, hash, `${name}.${functionName}`);
  receipt.events = parseEventLogs({ abi: eventAbi(), logs: receipt.logs });
  return receipt;
}

export const read = (chain, name, address, functionName, args = []) =>
  chain.pub.readContract({ address, abi: artifact(name).abi, functionName, args });

/** Runs fn between evm_snapshot and evm_revert on the home chain. */
export async function withSnapshot(fn) {
  const id = await rpc('evm_snapshot');
  try {
    return await fn();
  } finally {
    assert.equal(await rpc('evm_revert', [id]), true);
  }
}
