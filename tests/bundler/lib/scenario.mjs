// The scenario world of the rules tests: RulesTarget, RulesAccount, RulesPaymaster, RulesFactory
// (tests/bundler/contracts) deployed per EntryPoint, staked or not, and user operations in the RPC
// shape of ERC-7769 sent straight over JSON-RPC, so a test sees the bundler's error code and text as is.
import assert from 'node:assert/strict';
import { encodeFunctionData, parseEther, parseGwei, stringToHex, toHex } from 'viem';
import { formatUserOperationRequest } from 'viem/account-abstraction';
import { artifacts } from './compile.mjs';
import { ENTRY_POINTS, rpc } from './node.mjs';
import { entryPointAbi } from './userop.mjs';

/** What "staked" means in these tests: at least ERC-7562's usual MIN_STAKE_VALUE and MIN_UNSTAKE_DELAY. */
export const STAKE_WEI = parseEther(process.env.BUNDLER_TEST_STAKE_ETH ?? '1');
export const UNSTAKE_DELAY_SEC = Number(process.env.BUNDLER_TEST_UNSTAKE_DELAY ?? 86_400);

/** The spec's constants the tests lean on (ERC-7562). */
export const SAME_SENDER_MEMPOOL_COUNT = 4;
export const MIN_PRICE_BUMP_PERCENT = 10;

export const abiOf = (name) => artifacts()[name].abi;

/** Deploys a scenario contract from dev account `from`; resolves its address. */
export async function deploy(clients, name, args = [], from = 0) {
  const { abi, bytecode } = artifacts()[name];
  const hash = await clients.wallet(from).deployContract({ abi, bytecode, args });
  const receipt = await clients.publicClient.waitForTransactionReceipt({ hash });
  assert.equal(receipt.status, 'success', `deploying ${name}`);
  return receipt.contractAddress;
}

/** Sends a contract call from a dev account and waits for it. */
export async function send(clients, { address, abi, functionName, args = [], value = 0n, from = 0 }) {
  const hash = await clients.wallet(from).writeContract({ address, abi, functionName, args, value });
  const receipt = await clients.publicClient.waitForTransactionReceipt({ hash });
  assert.equal(receipt.status, 'success', `${functionName} on ${address}`);
  return receipt;
}

/** Deposits `value` on the EntryPoint for `account` (the sender's or paymaster's gas money). */
export const depositTo = (clients, version, account, value = parseEther('1')) =>
  send(clients, { address: ENTRY_POINTS[version], abi: entryPointAbi(version), functionName: 'depositTo', args: [account], value });

/** Stakes a scenario entity (it calls EntryPoint.addStake itself). */
export const stake = (clients, entity, name = 'RulesAccount') =>
  send(clients, { address: entity, abi: abiOf(name), functionName: 'addStake', args: [UNSTAKE_DELAY_SEC], value: STAKE_WEI });

/**
 * The scenario world for one EntryPoint: a RulesTarget and, made on demand, entities:
 *   world.account({staked}) a deployed RulesAccount with a deposit,
 *   world.paymaster({staked, deposit}), world.factory({staked}),
 *   world.undeployed(factory, salt, rule) the sender a factory would create, with a deposit.
 */
export async function scenarioWorld(clients, version) {
  const ep = ENTRY_POINTS[version];
  const target = await deploy(clients, 'RulesTarget');
  const world = {
    version,
    entryPoint: ep,
    target,
    async account({ staked = false, deposit = parseEther('1') } = {}) {
      const address = await deploy(clients, 'RulesAccount', [ep, target]);
      if (deposit) await depositTo(clients, version, address, deposit);
      if (staked) await stake(clients, address, 'RulesAccount');
      return address;
    },
    async paymaster({ staked = false, deposit = parseEther('1') } = {}) {
      const address = await deploy(clients, 'RulesPaymaster', [ep, target]);
      if (deposit) await depositTo(clients, version, address, deposit);
      if (staked) await stake(clients, address, 'RulesPaymaster');
      return address;
    },
    async factory({ staked = false } = {}) {
      const address = await deploy(clients, 'RulesFactory', [ep, target]);
      if (staked) await stake(clients, address, 'RulesFactory');
      return address;
    },
    /** {sender, factory, factoryData} of an account `factory` creates running `rule`, with a deposit. */
    async undeployed(factory, salt, rule = '', deposit = parseEther('1')) {
      const sender = await clients.publicClient.readContract({
        address: factory,
        abi: abiOf('RulesFactory'),
        functionName: 'getAddress',
        args: [BigInt(salt)],
      });
      if (deposit) await depositTo(clients, version, sender, deposit);
      const factoryData = encodeFunctionData({ abi: abiOf('RulesFactory'), functionName: 'create', args: [BigInt(salt), rule] });
      return { sender, factory, factoryData };
    },
    /** callData for RulesAccount.execute(target, 0, emitEvent(value)). */
    emitCall(value = 1n) {
      return encodeFunctionData({
        abi: abiOf('RulesAccount'),
        functionName: 'execute',
        args: [target, 0n, encodeFunctionData({ abi: abiOf('RulesTarget'), functionName: 'emitEvent', args: [value] })],
      });
    },
    /** callData whose execution reverts. */
    revertCall() {
      return encodeFunctionData({
        abi: abiOf('RulesAccount'),
        functionName: 'execute',
        args: [target, 0n, encodeFunctionData({ abi: abiOf('RulesTarget'), functionName: 'revertAlways' })],
      });
    },
  };
  return world;
}

/**
 * A user operation (viem's bigint form) of a RulesAccount: `rule` for the account goes in the signature,
 * `paymasterRule` (with `paymaster`) in the paymasterData. Gas limits are fixed and below
 * MAX_VERIFICATION_GAS; fees from the latest block.
 */
export async function rulesOp(clients, world, { sender, rule = '', nonce = 0n, factory, factoryData, paymaster, paymasterRule = 'nothing', callData, ...overrides }) {
  const block = await clients.publicClient.getBlock();
  const maxPriorityFeePerGas = parseGwei('1');
  return {
    sender,
    nonce,
    ...(factory ? { factory, factoryData } : {}),
    callData: callData ?? world.emitCall(),
    callGasLimit: 100_000n,
    verificationGasLimit: factory ? 340_000n : 250_000n,
    preVerificationGas: 100_000n,
    maxPriorityFeePerGas,
    maxFeePerGas: (block.baseFeePerGas ?? parseGwei('1')) * 2n + maxPriorityFeePerGas,
    ...(paymaster
      ? {
          paymaster,
          paymasterVerificationGasLimit: 150_000n,
          paymasterPostOpGasLimit: 50_000n,
          paymasterData: stringToHex(paymasterRule),
        }
      : {}),
    signature: stringToHex(rule),
    ...overrides,
  };
}

/** Polls eth_getUserOperationReceipt until the op is in a block; resolves the receipt. */
export async function waitForOpReceipt(url, hash, { timeoutMs = 30_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await rpc(url, 'eth_getUserOperationReceipt', [hash]);
    if (r.error) throw new Error(`eth_getUserOperationReceipt: ${r.error.message} (${r.error.code})`);
    if (r.result) return r.result;
    if (Date.now() > deadline) throw new Error(`no receipt for ${hash} within ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** The op in ERC-7769's JSON form (hex quantities). */
export const rpcOp = (op) => formatUserOperationRequest(op);

/** eth_sendUserOperation over plain JSON-RPC; resolves the whole response ({result} or {error}). */
export const sendOp = (url, op, entryPoint) => rpc(url, 'eth_sendUserOperation', [rpcOp(op), entryPoint]);

/** eth_estimateUserOperationGas over plain JSON-RPC. */
export const estimateOp = (url, op, entryPoint) => rpc(url, 'eth_estimateUserOperationGas', [rpcOp(op), entryPoint]);

/** The result of a JSON-RPC response, or a failed assertion showing its error. */
export function assertOk(response, what = 'the call') {
  assert.equal(response.error, undefined, `${what} was refused: ${JSON.stringify(response.error)}`);
  assert.notEqual(response.result, undefined, `${what} answered no result: ${JSON.stringify(response)}`);
  return response.result;
}

/**
 * Asserts a JSON-RPC error with `code` whose message matches every pattern of `patterns` (strings are
 * matched case-insensitively as substrings). Returns the error.
 */
export function assertRpcError(response, code, ...patterns) {
  const err = response.error;
  assert.ok(err, `expected error ${code}, got result ${JSON.stringify(response.result)}`);
  const codes = Array.isArray(code) ? code : [code];
  assert.ok(codes.includes(err.code), `expected error ${codes.join(' or ')}, got ${err.code}: ${err.message}`);
  const text = `${err.message} ${JSON.stringify(err.data ?? '')}`;
  for (const p of patterns) {
    const re = p instanceof RegExp ? p : new RegExp(p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
    assert.match(text, re, `error ${err.code} "${err.message}" should mention ${re}`);
  }
  return err;
}

/** ERC-7769 error codes. */
export const E = {
  invalidParams: -32602,
  rejectedByEpOrAccount: -32500,
  rejectedByPaymaster: -32501,
  bannedOpcode: -32502,
  timeRange: -32503,
  throttledOrBanned: -32504,
  stakeTooLow: -32505,
  unsupportedAggregator: -32506,
  invalidSignature: -32507,
  paymasterDepositTooLow: -32508,
  executionReverted: -32521,
  methodNotFound: -32601,
};

/**
 * A violation that stake would cure (an unstaked entity doing what ERC-7562 allows staked ones): the
 * reference bundler answers -32502 naming the rule, Rundler -32505 with the minimum stake and delay. Either
 * is accepted; the message must name the entity and either the rule or "stake".
 */
export function assertNeedsStake(response, entity, rule) {
  const err = assertRpcError(response, [E.bannedOpcode, E.stakeTooLow], entity);
  const text = `${err.message} ${JSON.stringify(err.data ?? '')}`;
  if (err.code === E.stakeTooLow) assert.match(text, /stake/i, 'a -32505 names the stake it wants');
  else assert.match(text, new RegExp(`${rule}|unstaked|stake`, 'i'), `a -32502 names the rule (${rule}) or the missing stake`);
  return err;
}

/** debug_bundler_* helpers (manual bundling, mempool, reputation). */
export const debug = {
  setBundlingMode: (url, mode) => rpc(url, 'debug_bundler_setBundlingMode', [mode]),
  sendBundleNow: (url) => rpc(url, 'debug_bundler_sendBundleNow', []),
  dumpMempool: async (url, ep) => assertOk(await rpc(url, 'debug_bundler_dumpMempool', [ep]), 'debug_bundler_dumpMempool'),
  clearState: (url) => rpc(url, 'debug_bundler_clearState', []),
  clearMempool: (url) => rpc(url, 'debug_bundler_clearMempool', []),
  setReputation: (url, entries, ep) =>
    rpc(url, 'debug_bundler_setReputation', [
      entries.map((e) => ({ address: e.address, opsSeen: toHex(e.opsSeen), opsIncluded: toHex(e.opsIncluded) })),
      ep,
    ]),
  dumpReputation: async (url, ep) => assertOk(await rpc(url, 'debug_bundler_dumpReputation', [ep]), 'debug_bundler_dumpReputation'),
  clearReputation: (url) => rpc(url, 'debug_bundler_clearReputation', []),
  getStakeStatus: async (url, address, ep) =>
    assertOk(await rpc(url, 'debug_bundler_getStakeStatus', [address, ep]), 'debug_bundler_getStakeStatus'),
};

/** The senders (lower case) and nonces of a dumped mempool, in its order. */
export const mempoolKeys = (entries) => entries.map((e) => `${e.sender.toLowerCase()}:${BigInt(e.nonce)}`);
export const opKey = (op) => `${op.sender.toLowerCase()}:${BigInt(op.nonce)}`;
