// ERC-7562 opcode rules (OP-011, OP-012, OP-020, OP-031, OP-041, OP-052, OP-054, OP-061, OP-080) for the
// account, the paymaster and the factory, on both EntryPoints: each banned use is refused with -32502
// naming the rule, the entity and the opcode; each allowed one is accepted. Needs the bundler.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ENTITY, VERSIONS, opWithRule, ruleSuite } from '../lib/rules.mjs';
import { E, assertNeedsStake, assertOk, assertRpcError, sendOp } from '../lib/scenario.mjs';

const ctx = ruleSuite();

// OP-011: banned for every entity, staked or not.
const BANNED = [
  ['NUMBER', 'NUMBER'],
  ['TIMESTAMP', 'TIMESTAMP'],
  ['COINBASE', 'COINBASE'],
  ['PREVRANDAO', /PREVRANDAO|DIFFICULTY|RANDOM/],
  ['BASEFEE', 'BASEFEE'],
  ['GASLIMIT', 'GASLIMIT'],
  ['GASPRICE', 'GASPRICE'],
  ['ORIGIN', 'ORIGIN'],
  ['BLOCKHASH', 'BLOCKHASH'],
  ['BLOBHASH', 'BLOBHASH'],
  ['BLOBBASEFEE', 'BLOBBASEFEE'],
  ['INVALID', 'INVALID'],
  ['SELFDESTRUCT', 'SELFDESTRUCT'],
];

for (const version of VERSIONS) {
  const send = (op) => sendOp(ctx.url, op, ctx.worlds[version].entryPoint);

  describe(`OP-012 GAS not followed by a call, EntryPoint v${version}`, () => {
    for (const entity of ['account', 'paymaster', 'factory']) {
      test(`${entity} uses GAS alone: -32502 OP-012`, async () => {
        const res = await send(await opWithRule(ctx, version, entity, 'GAS'));
        assertRpcError(res, E.bannedOpcode, 'OP-012', ENTITY[entity], 'GAS');
      });
    }
  });

  describe(`OP-011 banned opcodes, EntryPoint v${version}`, () => {
    for (const entity of ['account', 'paymaster', 'factory']) {
      for (const [rule, opcode] of BANNED) {
        test(`${entity} uses ${rule}: -32502 OP-011`, async () => {
          const res = await send(await opWithRule(ctx, version, entity, rule));
          assertRpcError(res, E.bannedOpcode, 'OP-011', ENTITY[entity], opcode);
        });
      }
    }
    for (const rule of ['self:TIMESTAMP', 'self:GASPRICE']) {
      test(`account uses ${rule.slice(5)} one call frame deeper: still -32502 OP-011`, async () => {
        const res = await send(await opWithRule(ctx, version, 'account', rule));
        assertRpcError(res, E.bannedOpcode, 'OP-011', ENTITY.account, rule.slice(5));
      });
    }
    test('a staked account is no exception: TIMESTAMP still -32502', async () => {
      const res = await send(await opWithRule(ctx, version, 'account', 'TIMESTAMP', { staked: true }));
      assertRpcError(res, E.bannedOpcode, 'OP-011', 'TIMESTAMP');
    });
  });

  describe(`OP-012 GAS before a call, OP-080 BALANCE/SELFBALANCE, EntryPoint v${version}`, () => {
    for (const entity of ['account', 'paymaster', 'factory']) {
      for (const rule of ['GAS CALL', 'GAS DELEGATECALL', 'ok']) {
        test(`${entity}: "${rule}" is accepted`, async () => {
          assertOk(await send(await opWithRule(ctx, version, entity, rule)), `${entity} ${rule}`);
        });
      }
      for (const rule of ['BALANCE', 'SELFBALANCE']) {
        test(`unstaked ${entity} uses ${rule}: refused (OP-080)`, async () => {
          const res = await send(await opWithRule(ctx, version, entity, rule));
          assertNeedsStake(res, ENTITY[entity], 'OP-080');
          assert.match(res.error.message + JSON.stringify(res.error.data ?? ''), new RegExp(rule, 'i'));
        });
        test(`staked ${entity} uses ${rule}: accepted (OP-080)`, async () => {
          assertOk(await send(await opWithRule(ctx, version, entity, rule, { staked: true })), `staked ${entity} ${rule}`);
        });
      }
    }
  });

  describe(`OP-020 out of gas, OP-031 CREATE/CREATE2, EntryPoint v${version}`, () => {
    for (const entity of ['account', 'paymaster']) {
      test(`${entity}: an inner call that runs out of gas: -32502 OP-020`, async () => {
        const res = await send(await opWithRule(ctx, version, entity, 'out_of_gas'));
        assertRpcError(res, E.bannedOpcode, 'OP-020', ENTITY[entity]);
      });
      test(`${entity}: CREATE: -32502`, async () => {
        const res = await send(await opWithRule(ctx, version, entity, 'CREATE'));
        assertRpcError(res, E.bannedOpcode, /OP-011|OP-031/, ENTITY[entity], 'CREATE');
      });
      test(`${entity}: CREATE2 outside the sender's deployment: -32502`, async () => {
        const res = await send(await opWithRule(ctx, version, entity, 'CREATE2'));
        assertRpcError(res, E.bannedOpcode, /OP-011|OP-031/, ENTITY[entity], 'CREATE2');
      });
    }
    test('factory: one CREATE2 of the sender is allowed (OP-031): the "ok" factory op is accepted', async () => {
      assertOk(await send(await opWithRule(ctx, version, 'factory', 'ok')));
    });
    test('factory: a second CREATE2 besides the sender\'s: -32502', async () => {
      const res = await send(await opWithRule(ctx, version, 'factory', 'CREATE2'));
      assertRpcError(res, E.bannedOpcode, /OP-011|OP-031/, ENTITY.factory, 'CREATE2');
    });
  });

  describe(`OP-041 addresses without code, EntryPoint v${version}`, () => {
    for (const entity of ['account', 'paymaster', 'factory']) {
      for (const rule of ['EXTCODESIZE_nocode', 'EXTCODEHASH_nocode', 'EXTCODECOPY_nocode', 'CALL_nocode']) {
        test(`${entity}: ${rule.replace('_nocode', '')} of an address without code: -32502 OP-041`, async () => {
          const res = await send(await opWithRule(ctx, version, entity, rule));
          assertRpcError(res, E.bannedOpcode, 'OP-041', ENTITY[entity]);
        });
      }
      test(`${entity}: EXTCODESIZE of a contract is accepted`, async () => {
        assertOk(await send(await opWithRule(ctx, version, entity, 'EXTCODESIZE_code')));
      });
    }
  });

  describe(`OP-052..054 the EntryPoint, OP-061 value calls, EntryPoint v${version}`, () => {
    for (const entity of ['account', 'paymaster']) {
      test(`${entity}: calling EntryPoint.balanceOf: -32502 OP-054`, async () => {
        const res = await send(await opWithRule(ctx, version, entity, 'ep_balanceOf'));
        assertRpcError(res, E.bannedOpcode, 'OP-054');
      });
      test(`${entity}: calling EntryPoint.getNonce: -32502 OP-054`, async () => {
        const res = await send(await opWithRule(ctx, version, entity, 'ep_getNonce'));
        assertRpcError(res, E.bannedOpcode, 'OP-054');
      });
      test(`${entity}: EXTCODESIZE of the EntryPoint: -32502 OP-054`, async () => {
        const res = await send(await opWithRule(ctx, version, entity, 'EXTCODESIZE_entrypoint'));
        assertRpcError(res, E.bannedOpcode, 'OP-054');
      });
      test(`${entity}: a CALL with value to another contract: -32502 OP-061`, async () => {
        const res = await send(await opWithRule(ctx, version, entity, 'value_call'));
        assertRpcError(res, E.bannedOpcode, 'OP-061');
      });
    }
    test('account: EntryPoint.depositTo is allowed (OP-052)', async () => {
      assertOk(await send(await opWithRule(ctx, version, 'account', 'ep_depositTo')));
    });
  });
}
