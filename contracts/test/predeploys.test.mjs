import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keccak256, getContractAddress, getAddress } from 'viem';
import { manifest, artifact, ensurePredeploys, pub } from './lib/harness.mjs';

test('manifest: each CREATE2 predeploy computes to its expected address through the deterministic proxy', () => {
  const [proxy, ...rest] = manifest.predeploys;
  assert.equal(proxy.address, getAddress('0x4e59b44847b379578588920ca78fbf26c0b4956c'));
  for (const p of rest) {
    const computed = getContractAddress({ opcode: 'CREATE2', from: p.deployer, salt: p.salt, bytecode: p.initCode });
    assert.equal(computed, p.expectedAddress, p.name);
  }
  const byName = Object.fromEntries(rest.map((p) => [p.name, p.address]));
  assert.equal(byName.EntryPointV07, '0x0000000071727De22E5E9d8BAf0edAc6f37da032');
  assert.equal(byName.EntryPointV08, '0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108');
});

test('replaying the manifest on a fresh chain lands every predeploy with the expected runtime code', async () => {
  await ensurePredeploys();
  for (const name of ['EntryPointV07', 'EntryPointV08']) {
    const p = manifest.predeploys.find((x) => x.name === name);
    const code = await pub.getCode({ address: p.address });
    // Constructor-set immutables (the SenderCreator address; v0.8 also its EIP-712 domain cache) differ
    // from the artifact: same length, and only those bytes differ.
    const expected = artifact(name).deployedBytecode;
    assert.equal(code.length, expected.length, name);
    let differing = 0;
    for (let i = 2; i < code.length; i += 2) if (code.slice(i, i + 2) !== expected.slice(i, i + 2)) differing++;
    assert.ok(differing > 0 && differing <= 256, `${name}: ${differing} bytes differ`);
  }
  for (const p of manifest.predeploys.filter((x) => x.artifact)) {
    const code = await pub.getCode({ address: p.address });
    // Immutables differ from the artifact's placeholder bytes; the length does not.
    assert.equal(code.length, artifact(p.artifact).deployedBytecode.length, p.name);
  }
});
