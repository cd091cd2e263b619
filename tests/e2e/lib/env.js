// Shared setup of the end-to-end suite: the target, viem clients, raw JSON-RPC helpers, dev accounts,
// fresh funded accounts and contract deployment.
import assert from 'node:assert/strict';
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  http,
  parseEther,
} from 'viem';
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import { artifacts } from './compile.js';

export const url = process.env.KRNL_E2E_URL ?? 'http://127.0.0.1:8545';
export const target = process.env.KRNL_E2E_TARGET ?? 'krnld';
export const wsUrl = url.replace(/^http/, 'ws');
export const isHardhat = target === 'hardhat';
export const isKrnld = target === 'krnld';
export const isAnvil = target === 'anvil';

export const MNEMONIC = 'test test test test test test test test test test test junk';
/** The 10 dev accounts, m/44'/60'/0'/0/i of the standard test mnemonic. */
export const devAccounts = Array.from({ length: 10 }, (_, i) =>
  mnemonicToAccount(MNEMONIC, { addressIndex: i }),
);
export const DEV_BALANCE = parseEther('10000');

export const chain = defineChain({
  id: 31337,
  name: 'krnl dev',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [url], webSocket: [wsUrl] } },
});

export const publicClient = createPublicClient({ chain, transport: http(url), pollingInterval: 50 });
export const testClient = createTestClient({
  chain,
  mode: isHardhat ? 'hardhat' : 'anvil',
  transport: http(url),
  pollingInterval: 50,
});
/** A wallet whose account is signed for by the node (eth_sendTransaction). */
export function nodeWallet(address = devAccounts[0].address) {
  return createWalletClient({ chain, account: address, transport: http(url) });
}
/** A wallet that signs locally and sends raw transactions. */
export function localWallet(account) {
  return createWalletClient({ chain, account, transport: http(url) });
}

let nextId = 1;
/** POSTs a body (string or object) and returns { status, text, json }. */
export async function post(body, headers = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
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

/** One JSON-RPC request; returns the whole response object. */
export async function rpcRaw(method, params = []) {
  const id = nextId++;
  const { json } = await post({ jsonrpc: '2.0', id, method, params });
  assert.ok(json && typeof json === 'object', `${method}: no JSON reply`);
  assert.equal(json.jsonrpc, '2.0');
  assert.equal(json.id, id);
  return json;
}

/** One JSON-RPC request that must succeed; returns its result. */
export async function rpc(method, params = []) {
  const res = await rpcRaw(method, params);
  if (res.error) {
    const err = new Error(`${method} failed: ${res.error.code} ${res.error.message}`);
    err.rpcError = res.error;
    throw err;
  }
  assert.ok('result' in res, `${method}: reply has neither result nor error`);
  return res.result;
}

/** One JSON-RPC request that must fail; returns its error object ({ code, message, data? }). */
export async function rpcError(method, params = []) {
  const res = await rpcRaw(method, params);
  assert.ok(res.error, `${method} should fail but returned ${JSON.stringify(res.result)?.slice(0, 300)}`);
  assert.equal(typeof res.error.code, 'number');
  assert.equal(typeof res.error.message, 'string');
  assert.ok(!('result' in res), 'an error reply has no result');
  return res.error;
}

/** Asserts an error object matches an expectation row { code, message: RegExp }; returns the match. */
export function assertError(error, expected, what = '') {
  assert.equal(error.code, expected.code, `${what} code (message: ${error.message})`);
  const m = error.message.match(expected.message);
  assert.ok(m, `${what} message ${JSON.stringify(error.message)} !~ ${expected.message}`);
  return m;
}

export const toHex = (n) => `0x${BigInt(n).toString(16)}`;

export async function waitReceipt(hash) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash, timeout: 20_000 });
  return receipt;
}

let funderNonceChain = Promise.resolve();
/**
 * A new private-key account with `ether` ETH sent from dev account #9 (mined before this returns).
 * Transfers are serialised so parallel tests in one file do not race on the funder's nonce.
 */
export async function freshAccount(ether = '10') {
  const account = privateKeyToAccount(generatePrivateKey());
  const run = async () => {
    const hash = await nodeWallet(devAccounts[9].address).sendTransaction({
      to: account.address,
      value: parseEther(ether),
    });
    const receipt = await waitReceipt(hash);
    assert.equal(receipt.status, 'success');
  };
  funderNonceChain = funderNonceChain.then(run, run);
  await funderNonceChain;
  return account;
}

/** Deploys a contract from tests/e2e/contracts from a dev account; returns { address, abi, receipt }. */
export async function deploy(name, args = [], { from = devAccounts[0].address, value } = {}) {
  const art = artifacts()[name];
  assert.ok(art, `no artifact ${name}`);
  const hash = await nodeWallet(from).deployContract({ abi: art.abi, bytecode: art.bytecode, args, value });
  const receipt = await waitReceipt(hash);
  assert.equal(receipt.status, 'success', `deploy ${name}`);
  return { address: receipt.contractAddress, abi: art.abi, receipt, hash };
}

export function artifact(name) {
  return artifacts()[name];
}

/** Runs fn between evm_snapshot and evm_revert, so the chain is as before whatever fn did. */
export async function withSnapshot(fn) {
  const id = await rpc('evm_snapshot');
  try {
    return await fn();
  } finally {
    assert.equal(await rpc('evm_revert', [id]), true);
  }
}

/** Runs fn with automine off; automine is switched back on whatever happens. */
export async function withoutAutomine(fn) {
  await rpc('evm_setAutomine', [false]);
  try {
    return await fn();
  } finally {
    await rpc('evm_setAutomine', [true]);
  }
}

export { generatePrivateKey, privateKeyToAccount };
