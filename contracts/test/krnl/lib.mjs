// Helpers for the KRNL contract tests and the vector writer: viem clients on NODE_URL (a Hardhat node or
// krnld --dev, both chain 31337 with the accounts of the test mnemonic), the build output at CONTRACTS_OUT,
// and a stand-in for the engine's signer: it hashes and signs attestations exactly as docs/attestation.md says.
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
  keccak256,
  parseEventLogs,
} from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { hardhat } from 'viem/chains';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const outdir = resolve(root, process.env.CONTRACTS_OUT ?? 'build/contracts');
const url = process.env.NODE_URL ?? 'http://127.0.0.1:8545';

const artifacts = new Map();
export function artifact(name) {
  if (!artifacts.has(name)) artifacts.set(name, JSON.parse(readFileSync(join(outdir, 'artifacts', `${name}.json`), 'utf8')));
  return artifacts.get(name);
}

/// Every error of every KRNL contract, so a revert from any depth of the call decodes by name.
export const KRNL_CONTRACTS = ['KernelRegistry', 'KrnlVault', 'TokenAuthority', 'RwaTradeApp', 'RwaTradePolicy', 'RwaPlatform', 'DidRegistry'];
export const errorAbi = (() => {
  const seen = new Set();
  const out = [];
  for (const name of KRNL_CONTRACTS)
    for (const item of artifact(name).abi)
      if (item.type === 'error') {
        const sig = `${item.name}(${item.inputs.map((i) => i.type).join(',')})`;
        if (!seen.has(sig)) seen.add(sig) && out.push(item);
      }
  return out;
})();

const MNEMONIC = 'test test test test test test test test test test test junk';
export const accounts = Array.from({ length: 10 }, (_, i) => mnemonicToAccount(MNEMONIC, { addressIndex: i }));

export const pub = createPublicClient({ chain: hardhat, transport: http(url), pollingInterval: 50 });
const wallets = new Map();
function walletOf(account) {
  if (!wallets.has(account.address))
    wallets.set(account.address, createWalletClient({ chain: hardhat, transport: http(url), account, pollingInterval: 50 }));
  return wallets.get(account.address);
}

export const rpc = (method, params = []) => pub.request({ method, params });

export async function waitOk(hash) {
  const r = await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  if (r.status !== 'success') throw new Error(`transaction ${hash} reverted`);
  return r;
}

export async function deploy(from, name, args = []) {
  const a = artifact(name);
  const hash = await walletOf(from).deployContract({ abi: a.abi, bytecode: a.bytecode, args, gas: 12_000_000n });
  return getAddress((await waitOk(hash)).contractAddress);
}

export function read(name, address, functionName, args = []) {
  return pub.readContract({ address, abi: artifact(name).abi, functionName, args });
}

/// Sends a transaction; returns the receipt with its logs decoded against `name`'s ABI and the KRNL events.
export async function write(from, name, address, functionName, args = [], value = 0n) {
  const data = encodeFunctionData({ abi: artifact(name).abi, functionName, args });
  const hash = await walletOf(from).sendTransaction({ to: address, data, value, gas: 3_000_000n });
  const receipt = await waitOk(hash);
  const abi = KRNL_CONTRACTS.flatMap((n) => artifact(n).abi.filter((x) => x.type === 'event'));
  receipt.events = parseEventLogs({ abi, logs: receipt.logs });
  return receipt;
}

export async function sendValue(from, to, value) {
  return waitOk(await walletOf(from).sendTransaction({ to, value }));
}

function revertData(e) {
  for (let x = e; x; x = x.cause) {
    if (typeof x.data === 'string' && x.data.startsWith('0x')) return x.data;
    if (x.data && typeof x.data.data === 'string') return x.data.data;
  }
  return null;
}

/// Simulates the call with eth_call and returns the revert as { name, args }, or null if it succeeds.
export async function callError(from, name, address, functionName, args = [], value = 0n) {
  const data = encodeFunctionData({ abi: artifact(name).abi, functionName, args });
  try {
    await pub.call({ account: from.address, to: address, data, value, gas: 3_000_000n });
    return null;
  } catch (e) {
    const raw = revertData(e);
    if (!raw) throw e;
    try {
      const d = decodeErrorResult({ abi: errorAbi, data: raw });
      return { name: d.errorName, args: d.args ?? [] };
    } catch {
      return { name: `undecoded ${raw}`, args: [] };
    }
  }
}

export async function latestTimestamp() {
  return (await pub.getBlock({ blockTag: 'latest' })).timestamp;
}

/// Moves the node's clock forward and mines a block (both Hardhat and krnld implement these methods).
export async function advanceTime(seconds) {
  await rpc('evm_increaseTime', [Number(seconds)]);
  await rpc('evm_mine', []);
}

// ------------------------------------------------------------------ the attestation (docs/attestation.md)

export const RESPONSES_TYPE = {
  type: 'tuple[]',
  components: [
    { name: 'kernelId', type: 'uint256' },
    { name: 'result', type: 'bytes' },
    { name: 'err', type: 'string' },
  ],
};

export const PAYLOAD_TYPE = {
  type: 'tuple',
  components: [
    { name: 'chainId', type: 'uint256' },
    { name: 'app', type: 'address' },
    { name: 'sender', type: 'address' },
    { name: 'selector', type: 'bytes4' },
    { name: 'argsHash', type: 'bytes32' },
    { name: 'responses', ...RESPONSES_TYPE },
    { name: 'nonce', type: 'uint256' },
    { name: 'expiry', type: 'uint64' },
    { name: 'kernelIds', type: 'uint256[]' },
    { name: 'kernelFees', type: 'uint256[]' },
    { name: 'nodeFee', type: 'uint256' },
    { name: 'signatures', type: 'bytes' },
  ],
};

export const ATTESTATION_TYPES = {
  KernelAttestation: [
    { name: 'app', type: 'address' },
    { name: 'sender', type: 'address' },
    { name: 'selector', type: 'bytes4' },
    { name: 'argsHash', type: 'bytes32' },
    { name: 'responsesHash', type: 'bytes32' },
    { name: 'nonce', type: 'uint256' },
    { name: 'expiry', type: 'uint64' },
    { name: 'feesHash', type: 'bytes32' },
  ],
};

export const hashResponses = (responses) => keccak256(encodeAbiParameters([RESPONSES_TYPE], [responses]));
export const hashFees = (kernelIds, kernelFees, nodeFee) =>
  keccak256(encodeAbiParameters([{ type: 'uint256[]' }, { type: 'uint256[]' }, { type: 'uint256' }], [kernelIds, kernelFees, nodeFee]));

export function typedData({ chainId, tokenAuthority, app, sender, selector, argsHash, responsesHash, nonce, expiry, feesHash }) {
  return {
    domain: { name: 'KRNL', version: '1', chainId: Number(chainId), verifyingContract: tokenAuthority },
    types: ATTESTATION_TYPES,
    primaryType: 'KernelAttestation',
    message: { app, sender, selector, argsHash, responsesHash, nonce, expiry, feesHash },
  };
}

/// Signs `fields` with each of `signers` and concatenates the signatures in ascending signer order (unless
/// `keepOrder`). `domainChainId` lets a test sign for another chain than the payload claims.
export async function signAttestation(fields, signers, { keepOrder = false, domainChainId } = {}) {
  const td = typedData({
    ...fields,
    chainId: domainChainId ?? fields.chainId,
    responsesHash: hashResponses(fields.responses),
    feesHash: hashFees(fields.kernelIds, fields.kernelFees, fields.nodeFee),
  });
  const ordered = keepOrder ? signers : [...signers].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
  const sigs = [];
  for (const s of ordered) sigs.push(await s.signTypedData(td));
  return concatHex(sigs);
}

export function encodePayload(fields, signatures) {
  return encodeAbiParameters([PAYLOAD_TYPE], [{ ...fields, signatures }]);
}

export function randomNonce() {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  return BigInt(`0x${Buffer.from(b).toString('hex')}`);
}
