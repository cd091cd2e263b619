// The scenario contracts themselves, checked without a bundler (this file passes without one): each
// rule's opcode really runs in validation (traced with the struct logger against the plain "ok" rule),
// validation that only breaks an off-chain rule still succeeds on chain (so a bundler's refusal is the
// rule's doing, not a revert), and the factory predicts the accounts it creates.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodeFunctionData, getAddress, parseEther } from 'viem';
import { toPackedUserOperation } from 'viem/account-abstraction';
import { ENTRY_POINTS, call, clientsFor, startDevNode } from '../lib/node.mjs';
import { abiOf, rulesOp, scenarioWorld } from '../lib/scenario.mjs';
import { entryPointAbi, entryPointErrorName, entryPointEvents, handleOpsDirect } from '../lib/userop.mjs';

let node;
let clients;
before(async () => {
  node = await startDevNode();
  clients = clientsFor(node.chains[0]);
});
after(async () => node?.stop());

/** Opcode counts of handleOps([op]) traced with the struct logger. */
async function opcodeCounts(version, op) {
  const data = encodeFunctionData({
    abi: entryPointAbi(version),
    functionName: 'handleOps',
    args: [[toPackedUserOperation(op)], clients.wallet(1).account.address],
  });
  const trace = await call(node.url, 'debug_traceCall', [
    { from: clients.wallet(1).account.address, to: ENTRY_POINTS[version], data, gas: '0x7a1200' },
    'latest',
    { disableStorage: true, disableStack: true, enableMemory: false },
  ]);
  assert.equal(trace.failed, false, `handleOps failed in the trace of "${Buffer.from(op.signature.slice(2), 'hex')}"`);
  const counts = {};
  for (const l of trace.structLogs) counts[l.op] = (counts[l.op] ?? 0) + 1;
  return counts;
}

// rule -> the opcode that must appear (more often than under "ok")
const OPCODE_RULES = {
  NUMBER: 'NUMBER',
  TIMESTAMP: 'TIMESTAMP',
  COINBASE: 'COINBASE',
  PREVRANDAO: ['PREVRANDAO', 'DIFFICULTY'],
  BASEFEE: 'BASEFEE',
  GASLIMIT: 'GASLIMIT',
  GASPRICE: 'GASPRICE',
  ORIGIN: 'ORIGIN',
  BLOCKHASH: 'BLOCKHASH',
  BLOBHASH: 'BLOBHASH',
  BLOBBASEFEE: 'BLOBBASEFEE',
  GAS: 'GAS',
  INVALID: 'INVALID',
  SELFDESTRUCT: 'SELFDESTRUCT',
  CREATE: 'CREATE',
  CREATE2: 'CREATE2',
  BALANCE: 'BALANCE',
  SELFBALANCE: 'SELFBALANCE',
  EXTCODESIZE_nocode: 'EXTCODESIZE',
  EXTCODEHASH_nocode: 'EXTCODEHASH',
  EXTCODECOPY_nocode: 'EXTCODECOPY',
  transient_read: 'TLOAD',
  transient_write: 'TSTORE',
  storage_write: 'SSTORE',
  'self:TIMESTAMP': 'TIMESTAMP',
};

for (const version of ['0.7', '0.8']) {
  describe(`scenario contracts on EntryPoint v${version}`, () => {
    let world;
    let account;
    before(async () => {
      world = await scenarioWorld(clients, version);
      account = await world.account();
    });

    test('each opcode rule runs its opcode inside validation, and validation still succeeds on chain', async () => {
      const base = await opcodeCounts(version, await rulesOp(clients, world, { sender: account, rule: 'ok' }));
      for (const [rule, opcode] of Object.entries(OPCODE_RULES)) {
        const counts = await opcodeCounts(version, await rulesOp(clients, world, { sender: account, rule }));
        const names = [opcode].flat();
        const n = (c) => names.reduce((s, o) => s + (c[o] ?? 0), 0);
        assert.ok(n(counts) > n(base), `rule "${rule}" runs ${names.join('/')} (${n(counts)} vs ${n(base)} for "ok")`);
      }
    });

    test('a rule-breaking op is valid on chain: handleOps runs it (TIMESTAMP in the account)', async () => {
      const op = await rulesOp(clients, world, { sender: account, rule: 'TIMESTAMP' });
      const receipt = await handleOpsDirect({ wallet: clients.wallet(1), publicClient: clients.publicClient, version, ops: [op] });
      const ev = entryPointEvents(receipt, version).UserOperationEvent;
      assert.equal(ev?.length, 1);
      assert.equal(ev[0].success, true, 'the op executed (RulesTarget.emitEvent)');
    });

    test('"revert", "sig_fail" and "expired" fail in the EntryPoint with AA23, AA24 and AA22', async () => {
      const nonce = await clients.publicClient.readContract({
        address: ENTRY_POINTS[version],
        abi: entryPointAbi(version),
        functionName: 'getNonce',
        args: [account, 0n],
      });
      for (const [rule, aa] of [
        ['revert', 'AA23'],
        ['sig_fail', 'AA24'],
        ['expired', 'AA22'],
      ]) {
        const op = await rulesOp(clients, world, { sender: account, rule, nonce });
        await assert.rejects(
          clients.publicClient.simulateContract({
            account: clients.wallet(1).account,
            address: ENTRY_POINTS[version],
            abi: entryPointAbi(version),
            functionName: 'handleOps',
            args: [[toPackedUserOperation(op)], clients.wallet(1).account.address],
          }),
          (e) => {
            const err = entryPointErrorName(e);
            assert.ok(err, String(e));
            assert.match(err.args.find((a) => typeof a === 'string') ?? '', new RegExp(`^${aa}`), `rule ${rule}`);
            return true;
          },
        );
      }
    });

    test('a paymaster rule runs in the paymaster, a factory rule in the factory, and the factory predicts its account', async () => {
      const paymaster = await world.paymaster();
      const factory = await world.factory();
      const { sender, factoryData } = await world.undeployed(factory, 42, 'ok');
      const op = await rulesOp(clients, world, { sender, factory, factoryData, paymaster, paymasterRule: 'NUMBER', rule: 'ok' });
      const receipt = await handleOpsDirect({ wallet: clients.wallet(1), publicClient: clients.publicClient, version, ops: [op] });
      const events = entryPointEvents(receipt, version);
      assert.equal(getAddress(events.AccountDeployed[0].sender), getAddress(sender));
      assert.equal(getAddress(events.UserOperationEvent[0].paymaster), getAddress(paymaster));
      assert.equal(events.UserOperationEvent[0].success, true);
      assert.ok((await clients.publicClient.getCode({ address: sender })).length > 2);
    });

    test('a staked entity is staked on this EntryPoint with the suite\'s stake and delay', async () => {
      const staked = await world.paymaster({ staked: true, deposit: parseEther('0.5') });
      const info = await clients.publicClient.readContract({
        address: ENTRY_POINTS[version],
        abi: entryPointAbi(version),
        functionName: 'getDepositInfo',
        args: [staked],
      });
      assert.equal(info.staked, true);
      assert.ok(info.stake >= parseEther('1'));
      assert.equal(info.deposit, parseEther('0.5'));
      assert.equal(
        await clients.publicClient.readContract({ address: staked, abi: abiOf('RulesPaymaster'), functionName: 'entryPoint' }),
        ENTRY_POINTS[version],
      );
    });
  });
}
