// Shared plumbing of the rules-*.test.mjs files: one krnld per file, a scenario world per EntryPoint,
// and ops that put a rule in the account, the paymaster or the factory.
import { after, before } from 'node:test';
import { clientsFor, rpc, startDevNode } from './node.mjs';
import { rulesOp, scenarioWorld } from './scenario.mjs';

export const VERSIONS = ['0.7', '0.8'];

/** Entity words an error message may use for each entity. */
export const ENTITY = { account: /account|sender/i, paymaster: /paymaster/i, factory: /factory|deployer/i };

/**
 * Starts a node for the file (before/after hooks) and returns a context whose fields fill in once the
 * hooks ran: {node, clients, url, worlds: {'0.7': world, '0.8': world}}. `manualBundling` switches the
 * bundler to manual mode (debug_bundler_setBundlingMode) once the worlds are deployed.
 */
export function ruleSuite({ nodeOptions, manualBundling = false } = {}) {
  const ctx = { worlds: {} };
  before(async () => {
    ctx.node = await startDevNode(nodeOptions);
    ctx.clients = clientsFor(ctx.node.chains[0]);
    ctx.url = ctx.node.url;
    for (const v of VERSIONS) ctx.worlds[v] = await scenarioWorld(ctx.clients, v);
    if (manualBundling) {
      const r = await rpc(ctx.url, 'debug_bundler_setBundlingMode', ['manual']);
      if (r.error) throw new Error(`debug_bundler_setBundlingMode manual: ${r.error.message} (${r.error.code})`);
    }
  });
  after(async () => ctx.node?.stop());
  return ctx;
}

let saltCounter = 1000;

/**
 * An op whose `entity` ('account' | 'paymaster' | 'factory') runs `rule`; the other entities do
 * nothing. `staked` stakes the entity under test. Every op gets fresh entities, so no case's
 * reputation or mempool slot touches another's.
 */
export async function opWithRule(ctx, version, entity, rule, { staked = false, overrides = {} } = {}) {
  const world = ctx.worlds[version];
  const { clients } = ctx;
  if (entity === 'account') {
    const sender = await world.account({ staked });
    return rulesOp(clients, world, { sender, rule, ...overrides });
  }
  if (entity === 'paymaster') {
    const sender = await world.account();
    const paymaster = await world.paymaster({ staked });
    return rulesOp(clients, world, { sender, rule: 'ok', paymaster, paymasterRule: rule, ...overrides });
  }
  if (entity === 'factory') {
    const factory = await world.factory({ staked });
    const u = await world.undeployed(factory, saltCounter++, rule);
    return rulesOp(clients, world, { ...u, rule: 'ok', ...overrides });
  }
  throw new Error(`unknown entity ${entity}`);
}
