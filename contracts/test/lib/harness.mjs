// Shared by the contract tests and the gas benchmark: viem clients on the node at NODE_URL,
// the build output at CONTRACTS_OUT, genesis predeploys replayed from the manifest exactly as krnld
// would (presigned proxy transaction, then CREATE2 through the proxy), and user-operation helpers.
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  concatHex,
  createPublicClient,
  createWalletClient,
  decodeErrorResult,
  encodeAbiParameters,
  encodeFunctionData,
  getAddress,
  http,
  numberToHex,
  padHex,
  parseEther,
  toHex,
  size,
} from 'viem';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { hardhat } from 'viem/chains';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const outdir = resolve(root, process.env.CONTRACTS_OUT ?? 'build/contracts');
const url = process.env.NODE_URL ?? 'http://127.0.0.1:8545';

export const manifest = JSON.parse(readFileSync(join(outdir, 'predeploys.json'), 'utf8'));
const artifactCache = new Map();
export function artifact(name) {
  if (!artifactCache.has(name)) artifactCache.set(name, JSON.parse(readFileSync(join(outdir, 'artifacts', `${name}.json`), 'utf8')));
  return artifactCache.get(name);
}
export function addressOf(name) {
  const p = manifest.predeploys.find((x) => x.name === name);
  if (!p) throw new Error(`no predeploy ${name}`);
  return p.address;
}

// Hardhat's first default account (well-known test key).
export const dev = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
export const pub = createPublicClient({ chain: hardhat, transport: http(url), pollingInterval: 50 });
export const wallet = createWalletClient({ chain: hardhat, transport: http(url), account: dev, pollingInterval: 50 });

export async function rpc(method, params = []) {
  return pub.request({ method, params });
}

export async function waitOk(hash) {
  const r = await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  if (r.status !== 'success') throw new Error(`transaction ${hash} reverted`);
  return r;
}

export async function send(to, data = '0x', value = 0n, gas = 10_000_000n) {
  return waitOk(await wallet.sendTransaction({ to, data, value, gas }));
}

export async function deploy(name, args = [], { abiName } = {}) {
  const a = artifact(name);
  const hash = await wallet.deployContract({ abi: a.abi, bytecode: a.bytecode, args, gas: 15_000_000n });
  const r = await waitOk(hash);
  return getAddress(r.contractAddress);
}

export function contract(name, address) {
  return { address, abi: artifact(name).abi };
}

export async function read(name, address, functionName, args = []) {
  return pub.readContract({ address, abi: artifact(name).abi, functionName, args });
}

export async function write(name, address, functionName, args = [], value = 0n) {
  const data = encodeFunctionData({ abi: artifact(name).abi, functionName, args });
  return send(address, data, value);
}

/// Replays the predeploy manifest: the deterministic proxy by its presigned transaction (after funding
/// its signer), then every CREATE2 deployment through the proxy; checks each lands where it says.
export async function ensurePredeploys() {
  const [proxy, ...rest] = manifest.predeploys;
  if ((await pub.getCode({ address: proxy.address })) === undefined) {
    await send(proxy.deployment.signer, '0x', BigInt(proxy.deployment.fundingWei));
    await waitOk(await rpc('eth_sendRawTransaction', [proxy.deployment.rawTransaction]));
  }
  const code = await pub.getCode({ address: proxy.address });
  if (code !== proxy.runtimeCode) throw new Error('deterministic proxy code mismatch');
  for (const p of rest) {
    if ((await pub.getCode({ address: p.address })) === undefined) {
      await send(p.deployer, concatHex([p.salt, p.initCode]), 0n, 30_000_000n);
    }
    if ((await pub.getCode({ address: p.expectedAddress })) === undefined) throw new Error(`${p.name} not at ${p.expectedAddress}`);
  }
}

export const EP = {
  v07: { name: 'EntryPointV07', account: 'AccountV07', factory: 'AccountFactoryV07', simpleFactory: 'SimpleAccountFactoryV07', simpleAccount: 'SimpleAccountV07' },
  v08: { name: 'EntryPointV08', account: 'AccountV08', factory: 'AccountFactoryV08', simpleFactory: 'SimpleAccountFactoryV08', simpleAccount: 'SimpleAccountV08' },
};
for (const v of Object.values(EP)) v.address = addressOf(v.name);
for (const v of Object.values(EP)) v.factoryAddress = addressOf(v.factory);

export const newKey = () => privateKeyToAccount(generatePrivateKey());

// ------------------------------------------------------------------ user operations

export function packUints(high, low) {
  return padHex(toHex((BigInt(high) << 128n) | BigInt(low)), { size: 32 });
}

export function userOp(fields) {
  return {
    sender: fields.sender,
    nonce: fields.nonce ?? 0n,
    initCode: fields.initCode ?? '0x',
    callData: fields.callData ?? '0x',
    accountGasLimits: packUints(fields.verificationGasLimit ?? 1_500_000n, fields.callGasLimit ?? 1_000_000n),
    preVerificationGas: fields.preVerificationGas ?? 60_000n,
    gasFees: packUints(fields.maxPriorityFeePerGas ?? 1_000_000_000n, fields.maxFeePerGas ?? 3_000_000_000n),
    paymasterAndData: fields.paymasterAndData ?? '0x',
    signature: fields.signature ?? '0x',
  };
}

export async function userOpHash(ep, op) {
  return pub.readContract({ address: ep.address, abi: artifact(ep.name).abi, functionName: 'getUserOpHash', args: [op] });
}

export async function getNonce(ep, sender, key = 0n) {
  return pub.readContract({ address: ep.address, abi: artifact(ep.name).abi, functionName: 'getNonce', args: [sender, key] });
}

/// Sends handleOps([ops]) from the dev account; returns the receipt and the UserOperationEvent logs.
export async function handleOps(ep, ops, { gas = 10_000_000n } = {}) {
  const data = encodeFunctionData({ abi: artifact(ep.name).abi, functionName: 'handleOps', args: [ops, dev.address] });
  const receipt = await send(ep.address, data, 0n, gas);
  const { parseEventLogs } = await import('viem');
  const events = parseEventLogs({ abi: artifact(ep.name).abi, logs: receipt.logs });
  return {
    receipt,
    events,
    opEvents: events.filter((e) => e.eventName === 'UserOperationEvent'),
    reverts: events.filter((e) => e.eventName === 'UserOperationRevertReason'),
  };
}

/// Simulates handleOps and returns the revert as a string ("FailedOp(0, AA24 signature error)"), or
/// null if it would succeed.
export async function handleOpsError(ep, ops) {
  const data = encodeFunctionData({ abi: artifact(ep.name).abi, functionName: 'handleOps', args: [ops, dev.address] });
  try {
    await pub.call({ account: dev.address, to: ep.address, data, gas: 10_000_000n });
    return null;
  } catch (e) {
    const raw = findRevertData(e);
    if (raw) {
      try {
        const d = decodeErrorResult({ abi: artifact(ep.name).abi, data: raw });
        return `${d.errorName}(${d.args.map(String).join(', ')})`;
      } catch {}
    }
    return e.shortMessage ?? e.message;
  }
}

/// Simulates handleOps and returns the raw revert data (hex), or null if it would succeed.
export async function handleOpsRevertData(ep, ops) {
  const data = encodeFunctionData({ abi: artifact(ep.name).abi, functionName: 'handleOps', args: [ops, dev.address] });
  try {
    await pub.call({ account: dev.address, to: ep.address, data, gas: 10_000_000n });
    return null;
  } catch (e) {
    const raw = findRevertData(e);
    if (!raw) throw e;
    return raw;
  }
}

function findRevertData(e) {
  for (let x = e; x; x = x.cause) {
    if (typeof x.data === 'string' && x.data.startsWith('0x')) return x.data;
    if (x.data && typeof x.data.data === 'string') return x.data.data;
  }
  return null;
}

// ------------------------------------------------------------------ account helpers

export const MODE = { sudo: '0x00000000', plugin: '0x00000001', enable: '0x00000002' };

export function initData(ep, validator, validatorData) {
  return encodeFunctionData({ abi: artifact(ep.account).abi, functionName: 'initialize', args: [validator, validatorData] });
}

/// A root is an owner address (the built-in ECDSA root: factory createAccount) or { validator, data }
/// (an external default validator, or validator 0 with a 20-byte signer: createAccountWithValidator).
function factoryCall(root, index) {
  const abi = artifact('AccountFactory').abi;
  return typeof root === 'string'
    ? { abi, functionName: 'createAccount', args: [root, index] }
    : { abi, functionName: 'createAccountWithValidator', args: [root.validator, root.data, index] };
}

export function factoryInitCode(ep, root, index = 0n) {
  return concatHex([ep.factoryAddress, encodeFunctionData(factoryCall(root, index))]);
}

export async function counterfactual(ep, root, index = 0n) {
  const c = factoryCall(root, index);
  const functionName = c.functionName === 'createAccount' ? 'getAddress' : 'getAddressWithValidator';
  return pub.readContract({ address: ep.factoryAddress, abi: c.abi, functionName, args: c.args });
}

export function callData(functionName, args) {
  return encodeFunctionData({ abi: artifact('AccountV07').abi, functionName, args });
}

export const execute = (target, value, data = '0x') => callData('execute', [target, value, data]);

/// An account with the built-in ECDSA root `owner`, deployed through its first user operation.
export async function createEcdsaAccount(ep, owner, { index = 0n, fund = parseEther('1') } = {}) {
  const sender = await counterfactual(ep, owner.address, index);
  if (fund) await send(sender, '0x', fund);
  const op = userOp({ sender, initCode: factoryInitCode(ep, owner.address, index) });
  op.signature = await sudoSign(ep, owner, op);
  const r = await handleOps(ep, [op]);
  if (!r.opEvents[0]?.args.success) throw new Error('account creation failed');
  return sender;
}

export async function sudoSign(ep, owner, op) {
  const hash = await userOpHash(ep, op);
  return concatHex([MODE.sudo, await owner.signMessage({ message: { raw: hash } })]);
}

/// Builds, signs (sudo by `owner`) and sends one user operation; returns handleOps' result.
export async function sudoOp(ep, owner, sender, data, extra = {}) {
  const op = userOp({ sender, nonce: await getNonce(ep, sender), callData: data, ...extra });
  op.signature = await sudoSign(ep, owner, op);
  return { op, ...(await handleOps(ep, [op])) };
}

export function eip712Domain(account) {
  return { name: 'KrnlAccount', version: '1', chainId: hardhat.id, verifyingContract: account };
}

export const ENABLE_TYPES = {
  Enable: [
    { name: 'selector', type: 'bytes4' },
    { name: 'validator', type: 'address' },
    { name: 'executor', type: 'address' },
    { name: 'validAfter', type: 'uint48' },
    { name: 'validUntil', type: 'uint48' },
    { name: 'validatorData', type: 'bytes' },
    { name: 'nonce', type: 'uint64' },
  ],
};

/// The enable-mode signature prefix: everything but the new validator's own signature.
export async function enablePrefix(account, approver, { selector, validator, executor = '0x0000000000000000000000000000000000000000', validAfter = 0, validUntil = 0, validatorData = '0x', nonce }) {
  const approval = await approver.signTypedData({
    domain: eip712Domain(account),
    types: ENABLE_TYPES,
    primaryType: 'Enable',
    message: { selector, validator, executor, validAfter, validUntil, validatorData, nonce },
  });
  return concatHex([
    MODE.enable,
    numberToHex(validAfter, { size: 6 }),
    numberToHex(validUntil, { size: 6 }),
    validator,
    executor,
    numberToHex(size(validatorData), { size: 4 }),
    validatorData,
    numberToHex(size(approval), { size: 4 }),
    approval,
  ]);
}

export async function latestTimestamp() {
  return Number((await pub.getBlock()).timestamp);
}

export async function setNextTimestamp(t) {
  await rpc('evm_setNextBlockTimestamp', [numberToHex(t)]);
}

export { encodeAbiParameters, encodeFunctionData, concatHex, parseEther, getAddress, numberToHex, padHex, toHex, size };
