// KrnlValidator encodings shared by the contract tests and the gas benchmark: the install data, the
// attestation the engine appends to a user operation's signature (signed here with node keys exactly as
// the spec says: EIP-712 domain KRNL / 1 / chainId / KrnlValidator, nonce = userOp.nonce), and the helpers
// that build a KRNL-validated operation.
import { concatHex, encodeAbiParameters, keccak256, sliceHex, size, toFunctionSelector, zeroAddress, padHex, toHex } from 'viem';
import * as h from './harness.mjs';

export const EXECUTE_USER_OP = toFunctionSelector('executeUserOp((address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes),bytes32)');
export const EXECUTE = toFunctionSelector('execute(address,uint256,bytes)');

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

const RESPONSES_TYPE = {
  type: 'tuple[]',
  components: [{ name: 'kernelId', type: 'uint256' }, { name: 'result', type: 'bytes' }, { name: 'err', type: 'string' }],
};
export const hashResponses = (responses) => keccak256(encodeAbiParameters([RESPONSES_TYPE], [responses]));
export const hashFees = (kernelIds, kernelFees, nodeFee) =>
  keccak256(encodeAbiParameters([{ type: 'uint256[]' }, { type: 'uint256[]' }, { type: 'uint256' }], [kernelIds, kernelFees, nodeFee]));

const ATTESTATION_ABI = [
  { type: 'bytes32' }, { type: 'uint256' }, { type: 'uint64' }, { type: 'uint256[]' }, { type: 'uint256[]' }, { type: 'uint256' }, { type: 'bytes' },
];

/// onInstall data: abi.encode(owner, signers, threshold, policy, selectors, requirements).
export function installData({ owner = zeroAddress, signers, threshold, policy = zeroAddress, selectors = [], requirements = [] }) {
  return encodeAbiParameters(
    [{ type: 'address' }, { type: 'address[]' }, { type: 'uint256' }, { type: 'address' }, { type: 'bytes4[]' }, { type: 'string[]' }],
    [owner, signers.map((s) => s.address ?? s), BigInt(threshold), policy, selectors, requirements],
  );
}

/// The call an operation makes, as the validator sees it: callData, or callData[4:] behind executeUserOp.
export function callOf(callData) {
  return callData.slice(0, 10).toLowerCase() === EXECUTE_USER_OP ? `0x${callData.slice(10)}` : callData;
}
export function selectorOf(call) {
  return size(call) >= 4 ? sliceHex(call, 0, 4) : '0x00000000';
}
export function argsHashOf(call) {
  return keccak256(size(call) > 4 ? sliceHex(call, 4) : '0x');
}

export function domain(validator, chainId = 31337) {
  return { name: 'KRNL', version: '1', chainId, verifyingContract: validator };
}

/// Signs the attestation of `fields` with each key, signers ascending unless `keepOrder`.
export async function signAttestation(validator, fields, keys, { keepOrder = false } = {}) {
  const ordered = keepOrder ? keys : [...keys].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
  const sigs = [];
  for (const k of ordered) sigs.push(await k.signTypedData({ domain: domain(validator), types: ATTESTATION_TYPES, primaryType: 'KernelAttestation', message: fields }));
  return concatHex(sigs);
}

export function encodeAttestation({ responsesHash, nonce, expiry, kernelIds, kernelFees, nodeFee, signatures }) {
  return encodeAbiParameters(ATTESTATION_ABI, [responsesHash, nonce, expiry, kernelIds, kernelFees, nodeFee, signatures]);
}

export const sampleResponses = (kernelIds) => kernelIds.map((id) => ({ kernelId: id, result: padHex(toHex(id), { size: 32 }), err: '' }));

/// The validator's part of the signature for the operation with EntryPoint nonce `nonce` and userOpHash `hash`:
/// the owner's EIP-191 signature over the userOpHash, then the attestation (nonce = userOp.nonce). `signed` overrides fields of the signed struct only (an
/// attestation made for something else); `encoded` overrides fields of the encoded attestation only.
export async function krnlPart({ validator, account, callData, hash, nonce, owner, nodes, kernelIds = [], kernelFees, nodeFee = 0n, expiry, signed = {}, encoded = {}, keepOrder }) {
  kernelFees ??= kernelIds.map(() => 0n);
  const call = callOf(callData);
  const responsesHash = hashResponses(sampleResponses(kernelIds));
  const fields = {
    app: account,
    sender: account,
    selector: selectorOf(call),
    argsHash: argsHashOf(call),
    responsesHash,
    nonce: BigInt(nonce),
    expiry: BigInt(expiry),
    feesHash: hashFees(kernelIds, kernelFees, nodeFee),
    ...signed,
  };
  const signatures = await signAttestation(validator, fields, nodes, { keepOrder });
  const ownerSig = owner ? await owner.signMessage({ message: { raw: hash } }) : '0x';
  return concatHex([ownerSig, encodeAttestation({ responsesHash, nonce: fields.nonce, expiry: fields.expiry, kernelIds, kernelFees, nodeFee, signatures, ...encoded })]);
}

/// A plugin-mode operation of `account` validated by the KrnlValidator.
export async function krnlOp(ep, { account, callData, extra = {}, ...rest }) {
  const op = h.userOp({ sender: account, nonce: await h.getNonce(ep, account), callData, ...extra });
  const hash = await h.userOpHash(ep, op);
  op.signature = concatHex([h.MODE.plugin, await krnlPart({ account, callData, hash, nonce: op.nonce, ...rest })]);
  return { op, hash };
}

export const wrap = (call) => concatHex([EXECUTE_USER_OP, call]);
