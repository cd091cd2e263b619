// User operations by hand: fixed gas limits, the EntryPoint's own hash, handleOps from a dev account
// (no bundler involved), and the EntryPoint's events of a bundle's receipt.
import { parseEventLogs, parseGwei } from 'viem';
import { entryPoint07Abi, entryPoint08Abi, toPackedUserOperation } from 'viem/account-abstraction';
import { ENTRY_POINTS } from './node.mjs';

export const entryPointAbi = (version) => (version === '0.8' ? entryPoint08Abi : entryPoint07Abi);

/**
 * Gas fields generous enough for a first op that deploys a krnl account and makes a call or two, and
 * within ERC-7562's MAX_VERIFICATION_GAS (500,000), which the bundler enforces.
 */
export async function generousGas(publicClient) {
  const block = await publicClient.getBlock();
  const maxPriorityFeePerGas = parseGwei('1');
  return {
    callGasLimit: 300_000n,
    verificationGasLimit: 450_000n,
    preVerificationGas: 100_000n,
    maxPriorityFeePerGas,
    maxFeePerGas: (block.baseFeePerGas ?? parseGwei('1')) * 2n + maxPriorityFeePerGas,
  };
}

/**
 * An unsigned op of `account` (a viem SmartAccount) making `calls`, with the factory fields while the
 * account has no code, and fixed gas. `overrides` replaces any field.
 */
export async function buildUserOp({ account, publicClient, calls, overrides = {} }) {
  const deployed = Boolean(await publicClient.getCode({ address: account.address }));
  const { factory, factoryData } = deployed ? {} : await account.getFactoryArgs();
  return {
    sender: account.address,
    nonce: await account.getNonce(),
    ...(factory ? { factory, factoryData } : {}),
    callData: await account.encodeCalls(calls),
    ...(await generousGas(publicClient)),
    signature: '0x',
    ...overrides,
  };
}

/** The EntryPoint's getUserOpHash of `op` (read from the chain). */
export function entryPointUserOpHash({ publicClient, version, op }) {
  return publicClient.readContract({
    address: ENTRY_POINTS[version],
    abi: entryPointAbi(version),
    functionName: 'getUserOpHash',
    args: [toPackedUserOperation(op)],
  });
}

/** handleOps(ops, beneficiary) sent by `wallet` (a wallet client); resolves the bundle's receipt. */
export async function handleOpsDirect({ wallet, publicClient, version, ops, beneficiary, gas = 5_000_000n }) {
  const hash = await wallet.writeContract({
    address: ENTRY_POINTS[version],
    abi: entryPointAbi(version),
    functionName: 'handleOps',
    args: [ops.map(toPackedUserOperation), beneficiary ?? wallet.account.address],
    gas,
  });
  return publicClient.waitForTransactionReceipt({ hash });
}

/** The EntryPoint's events in a receipt, by name: {UserOperationEvent: [...], AccountDeployed: [...], ...}. */
export function entryPointEvents(receipt, version) {
  const out = {};
  const logs = parseEventLogs({ abi: entryPointAbi(version), logs: receipt.logs }).filter(
    (l) => l.address.toLowerCase() === ENTRY_POINTS[version].toLowerCase(),
  );
  for (const l of logs) (out[l.eventName] ??= []).push(l.args);
  return out;
}

/** The revert data of a failed eth_call/estimate decoded against the EntryPoint's errors (FailedOp...). */
export function entryPointErrorName(error) {
  let e = error;
  while (e) {
    if (e.data?.errorName) return { name: e.data.errorName, args: e.data.args };
    e = e.cause;
  }
  return undefined;
}
