// 50 krnl_executeKernels at once, half of them with a kernel whose server never answers: every request
// answers with the right responses, each attestation is distinct, and the node stays up.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHostileServer } from '../lib/hostile_server.mjs';
import { OPERATOR, deploy, dev, lower, other, rpc, send } from '../lib/env.mjs';
import {
  SENDER,
  assertAlive,
  assertKernelErr,
  assertKernelOk,
  computeSpec,
  createApp,
  execute,
  executeRequest,
  goodSetup,
  httpSpec,
  readSpec,
  registerKernel,
} from '../lib/krnl.mjs';

const REQUESTS = 50;
let server;
let k;
let app;

before(async () => {
  server = await startHostileServer();
  await goodSetup();
  const target = await deploy(other, dev[4], 'KrnlTarget');
  await send(other, dev[4], 'KrnlTarget', target, 'setScore', [SENDER.address, 1000n]);
  k = {
    compute: await registerKernel(computeSpec('double(uint256)', ['$args[0]'])),
    read: await registerKernel(readSpec(31338, target, 'scorePlus(address,uint256)', ['$sender', '$args[0]'])),
    ok: await registerKernel(httpSpec(`${server.base}/ok/{{$args[0]}}`, [{ path: '$.value', type: 'uint256' }], { timeoutMs: 10_000 })),
    hang: await registerKernel(httpSpec(`${server.base}/hang`, [{ path: '$.value', type: 'uint256' }], { timeoutMs: 1_000 })),
  };
  ({ app } = await createApp({ kernelIds: Object.values(k) }));
});

after(async () => {
  await server?.close();
});

test(`${REQUESTS} concurrent krnl_executeKernels mixing good and hanging kernels all answer`, async () => {
  const hangsBefore = server.hits('/hang');
  const requests = Array.from({ length: REQUESTS }, (_, i) => {
    const a = BigInt(i + 1);
    const kernels = i % 2 === 0 ? [k.compute, k.ok, k.read] : [k.read, k.hang, k.compute];
    return { i, a, kernels, request: executeRequest(app, kernels, { a }) };
  });
  // The other chain keeps answering while the engine is busy.
  const [replies, otherBlock] = await Promise.all([Promise.all(requests.map((r) => execute(r.request))), rpc('eth_blockNumber', [], other.url)]);
  assert.match(otherBlock, /^0x[0-9a-f]+$/);

  const nonces = new Set();
  replies.forEach((reply, n) => {
    const { i, a, kernels } = requests[n];
    assert.ok(!reply.error, `request ${i} failed: ${reply.error?.code} ${reply.error?.message}`);
    const r = reply.result;
    assert.deepEqual(r.signers, [lower(OPERATOR)]);
    assert.equal(r.responses.length, 3);
    r.responses.forEach((response, j) => {
      const id = kernels[j];
      if (id === k.compute) assertKernelOk(response, id, ['uint256'], [a * 2n]);
      else if (id === k.read) assertKernelOk(response, id, ['uint256'], [1000n + a]);
      else if (id === k.ok) assertKernelOk(response, id, ['uint256'], [a]);
      else assertKernelErr(response, id, /^timed out after 1000 ms$/);
    });
    nonces.add(r.nonce);
  });
  assert.equal(nonces.size, REQUESTS, 'every attestation has its own nonce');
  assert.equal(server.hits('/hang') - hangsBefore, REQUESTS / 2, 'every hanging kernel reached the server');
  await assertAlive();
});

test('kernels that hang do not hold up eth_* on the same port', async () => {
  // More hanging requests than the server has I/O threads (4): each waits for its kernel's
  // timeout on the engine's own pool, and eth_blockNumber on the home port is answered while
  // every one of them is still pending.
  const hangsBefore = server.hits('/hang');
  let settled = 0;
  const pending = Array.from({ length: 12 }, (_, i) =>
    execute(executeRequest(app, [k.hang], { a: BigInt(i + 1) })).then((reply) => {
      settled += 1;
      return reply;
    }),
  );
  // Every request is inside its kernel (the hanging server saw it) before eth_* is asked.
  for (let i = 0; i < 200 && server.hits('/hang') - hangsBefore < 12; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(server.hits('/hang') - hangsBefore, 12, 'all 12 hanging kernels run at once');
  const block = await rpc('eth_blockNumber', []);
  assert.match(block, /^0x[0-9a-f]+$/);
  assert.equal(settled, 0, 'eth_blockNumber waited for a hanging kernel');
  for (const reply of await Promise.all(pending)) {
    assert.ok(!reply.error, reply.error?.message);
    assertKernelErr(reply.result.responses[0], k.hang, /^timed out after 1000 ms$/);
  }
  await assertAlive();
});
