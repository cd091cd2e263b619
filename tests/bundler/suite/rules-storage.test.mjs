// ERC-7562 storage rules (STO-010, STO-021, STO-022, STO-031, STO-032, STO-033) and transient storage
// (OP-070: the same rules for TLOAD/TSTORE), with and without stake, on both EntryPoints. "Associated"
// storage is a mapping slot keyed by the address (RulesActions.assoc, RulesTarget.balanceOf). Needs the bundler.
import { describe, test } from 'node:test';
import { ENTITY, VERSIONS, opWithRule, ruleSuite } from '../lib/rules.mjs';
import { E, assertNeedsStake, assertOk, assertRpcError, rulesOp, sendOp } from '../lib/scenario.mjs';

const ctx = ruleSuite();

// [rule, entity, staked, expectation, rule id]; expectation: 'ok' | 'stake' (refused, stake would cure it) | 'banned'
const CASES = [
  // The account's own storage and storage associated with it (STO-010, STO-021)
  ['storage_read', 'account', false, 'ok', 'STO-010'],
  ['storage_write', 'account', false, 'ok', 'STO-010'],
  ['transient_read', 'account', false, 'ok', 'OP-070'],
  ['transient_write', 'account', false, 'ok', 'OP-070'],
  ['external_assoc_sender', 'account', false, 'ok', 'STO-021'],
  ['external_assoc_sender_write', 'account', false, 'ok', 'STO-021'],
  ['external_storage_read', 'account', false, 'stake', 'STO-033'],
  ['external_storage_write', 'account', false, 'banned', 'STO-033'],
  ['external_storage_read', 'account', true, 'ok', 'STO-033'],
  ['external_storage_write', 'account', true, 'banned', 'STO-033'],
  // Paymaster: own storage only when staked (STO-031), sender-associated always (STO-021)
  ['nothing', 'paymaster', false, 'ok', 'STO-000'],
  ['storage_read', 'paymaster', false, 'stake', 'STO-031'],
  ['storage_write', 'paymaster', false, 'stake', 'STO-031'],
  ['transient_read', 'paymaster', false, 'stake', 'OP-070'],
  ['transient_write', 'paymaster', false, 'stake', 'OP-070'],
  ['storage_read', 'paymaster', true, 'ok', 'STO-031'],
  ['storage_write', 'paymaster', true, 'ok', 'STO-031'],
  ['transient_write', 'paymaster', true, 'ok', 'OP-070'],
  ['own_assoc_read', 'paymaster', false, 'ok', 'STO-021'],
  ['own_assoc_write', 'paymaster', false, 'ok', 'STO-021'],
  ['own_assoc_struct', 'paymaster', false, 'ok', 'STO-021'],
  ['external_assoc_sender', 'paymaster', false, 'ok', 'STO-021'],
  ['external_assoc_self', 'paymaster', false, 'stake', 'STO-032'],
  ['external_assoc_self', 'paymaster', true, 'ok', 'STO-032'],
  ['external_storage_read', 'paymaster', false, 'stake', 'STO-033'],
  ['external_storage_read', 'paymaster', true, 'ok', 'STO-033'],
  ['external_storage_write', 'paymaster', true, 'banned', 'STO-033'],
  // Factory: own storage only when staked
  ['storage_read', 'factory', false, 'stake', 'STO-031'],
  ['storage_write', 'factory', false, 'stake', 'STO-031'],
  ['storage_write', 'factory', true, 'ok', 'STO-031'],
  ['external_storage_read', 'factory', false, 'stake', 'STO-033'],
  ['external_storage_read', 'factory', true, 'ok', 'STO-033'],
];

for (const version of VERSIONS) {
  const send = (op) => sendOp(ctx.url, op, ctx.worlds[version].entryPoint);

  describe(`storage rules, EntryPoint v${version}`, () => {
    for (const [rule, entity, staked, expect, id] of CASES) {
      const who = `${staked ? 'staked' : 'unstaked'} ${entity}`;
      test(`${id}: ${who} ${rule}: ${expect === 'ok' ? 'accepted' : 'refused'}`, async () => {
        const res = await send(await opWithRule(ctx, version, entity, rule, { staked }));
        if (expect === 'ok') assertOk(res, `${who} ${rule}`);
        else if (expect === 'stake') assertNeedsStake(res, ENTITY[entity], id);
        else assertRpcError(res, E.bannedOpcode, ENTITY[entity]);
      });
    }
  });

  describe(`STO-022 sender-associated storage while the sender is being created, EntryPoint v${version}`, () => {
    const world = () => ctx.worlds[version];
    const creationOp = async ({ factoryStaked }) => {
      const factory = await world().factory({ staked: factoryStaked });
      const u = await world().undeployed(factory, 7000 + Number(factoryStaked), 'ok');
      const paymaster = await world().paymaster();
      return rulesOp(ctx.clients, world(), { ...u, rule: 'ok', paymaster, paymasterRule: 'own_assoc_read' });
    };
    test('unstaked factory: the paymaster reading the new sender\'s associated slot is refused', async () => {
      const res = await send(await creationOp({ factoryStaked: false }));
      assertNeedsStake(res, /paymaster|factory/i, 'STO-022');
    });
    test('staked factory: the same op is accepted', async () => {
      assertOk(await send(await creationOp({ factoryStaked: true })));
    });
  });
}
