// Malformed JSON-RPC to the krnl_* methods: wrong parameter counts and types (-32602), requests that are
// not objects (-32600), bodies that are not JSON (-32700). The node answers each and keeps serving.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, hex, home, post, rpcError } from '../lib/env.mjs';
import { CODE, assertAlive, executeRequest, goodSetup } from '../lib/krnl.mjs';

let good;
before(async () => {
  good = await goodSetup();
});

test('wrong parameter counts are -32602', async () => {
  const request = executeRequest(good.app, [good.kernel]);
  const cases = [
    ['krnl_executeKernels', [request, request], /too many arguments, want at most 1/],
    ['krnl_executeKernels', [], /argument 0/],
    ['krnl_getKernel', [], /argument 0/],
    ['krnl_getKernel', [hex(good.kernel), 1], /too many arguments, want at most 1/],
    ['krnl_listKernels', [1], /too many arguments, want at most 0/],
    ['krnl_nodeInfo', ['x'], /too many arguments, want at most 0/],
    ['krnl_quote', [good.app], /argument 1: an array of kernel ids is required/],
    ['krnl_quote', [good.app, [], 1], /too many arguments, want at most 2/],
    ['krnl_cosign', [request], /argument 1/],
    ['krnl_cosign', [request, [], '0x1', '0x1', '0x0', {}, 1], /too many arguments, want at most 6/],
  ];
  for (const [method, params, pattern] of cases) assertError(await rpcError(method, params), CODE.invalidParams, pattern);
});

test('wrong parameter types are -32602', async () => {
  const cases = [
    ['krnl_getKernel', ['zz'], /invalid argument 0/],
    ['krnl_getKernel', [-1], /invalid argument 0: a kernel id cannot be negative/],
    ['krnl_getKernel', [{ id: 1 }], /invalid argument 0/],
    ['krnl_getKernel', [1.5], /invalid argument 0/],
    ['krnl_quote', ['0x1234', [hex(good.kernel)]], /argument 0/],
    ['krnl_quote', [good.app, hex(good.kernel)], /argument 1: an array of kernel ids is required/],
    ['krnl_quote', [good.app, ['0xzz']], /invalid argument 1/],
  ];
  for (const [method, params, pattern] of cases) assertError(await rpcError(method, params), CODE.invalidParams, pattern);
  // krnl_cosign: unsigned, it is refused before anything else (-33013); signed (here with a signature
  // of the right shape), the request and responses are checked as the engine's own objects (-33006).
  const request = executeRequest(good.app, [good.kernel]);
  assertError(await rpcError('krnl_cosign', [request, 'none', '0x1', '0x1', '0x0']), CODE.requesterNotTrusted, /unsigned co-sign request/);
  const auth = { pins: { 31337: { number: '0x1', hash: `0x${'00'.repeat(32)}` } }, timestamp: '0x1', signature: `0x${'11'.repeat(65)}` };
  assertError(await rpcError('krnl_cosign', [request, 'none', '0x1', '0x1', '0x0', auth]), CODE.badRequest, /responses must be an array/);
  assertError(await rpcError('krnl_cosign', [request, [{ kernelId: '0x1' }], '0x1', '0x1', '0x0', auth]), CODE.badRequest, /responses\[0\] must be \{kernelId, result, err\}/);
  assertError(await rpcError('krnl_cosign', [request, [], 'nonce', '0x1', '0x0', auth]), CODE.invalidParams, /argument 2/);
});

test('a JSON-RPC request that is not an object is -32600; a body that is not JSON is -32700', async () => {
  for (const body of ['5', '"krnl_nodeInfo"', 'null', 'true']) {
    const { json } = await post(home.url, body);
    assert.ok(json?.error, `body ${body}: ${JSON.stringify(json)}`);
    assert.equal(json.error.code, CODE.invalidRequest, `body ${body}`);
    assert.equal(json.id, null);
  }
  const missingMethod = await post(home.url, { jsonrpc: '2.0', id: 7, params: [] });
  assert.equal(missingMethod.json.error.code, CODE.invalidRequest);
  const methodNotString = await post(home.url, { jsonrpc: '2.0', id: 8, method: 42, params: [] });
  assert.equal(methodNotString.json.error.code, CODE.invalidRequest);
  for (const body of ['{"jsonrpc":"2.0","id":1,"method":"krnl_nodeInfo"', '{jsonrpc: 2.0}', 'krnl_nodeInfo']) {
    const { json } = await post(home.url, body);
    assert.equal(json?.error?.code, CODE.parseError, `body ${body}`);
  }
});

test('a batch answers each krnl_* call on its own', async () => {
  const { json } = await post(home.url, [
    { jsonrpc: '2.0', id: 1, method: 'krnl_nodeInfo', params: [] },
    { jsonrpc: '2.0', id: 2, method: 'krnl_getKernel', params: ['zz'] },
    7,
    { jsonrpc: '2.0', id: 4, method: 'krnl_executeKernels', params: ['not a request'] },
  ]);
  assert.ok(Array.isArray(json) && json.length === 4, JSON.stringify(json));
  const byId = new Map(json.map((r) => [r.id, r]));
  assert.equal(byId.get(1).result.chainId, '0x7a69');
  assert.equal(byId.get(2).error.code, CODE.invalidParams);
  assert.equal(byId.get(null).error.code, CODE.invalidRequest);
  assertError(byId.get(4).error, CODE.badRequest, /request must be an object/);
  await assertAlive();
});
