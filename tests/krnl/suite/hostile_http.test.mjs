// Hostile http kernels against a local server (127.0.0.1 is on the node's allowlist) and against private
// addresses that are not: each failure is the err of that kernel's response, the request still answers with
// the other kernels' results, and the node keeps serving (checked at the end of every test).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeAbiParameters } from 'viem';
import { startHostileServer } from '../lib/hostile_server.mjs';
import { assertAlive, assertKernelErr, assertKernelOk, createApp, executeOk, executeRequest, goodSetup, httpSpec, registerKernel } from '../lib/krnl.mjs';

const VALUE = [{ path: '$.value', type: 'uint256' }];
let server;
let ok; // http kernel: /ok/<a>
let echo; // http kernel: /ok/<$args[0]>, for a string argument
let header; // http kernel: /ok/1 with the header X-Who: <$args[0]>
let app;
const hostile = {}; // name -> kernel id

before(async () => {
  server = await startHostileServer();
  await goodSetup();
  const { base, port } = { base: server.base, port: new URL(server.base).port };
  ok = await registerKernel(httpSpec(`${base}/ok/{{$input[0]}}`, VALUE, { timeoutMs: 5000 }));
  const specs = {
    hang: httpSpec(`${base}/hang`, VALUE, { timeoutMs: 300 }),
    drip: httpSpec(`${base}/drip`, VALUE, { timeoutMs: 300 }),
    status500: httpSpec(`${base}/status/500`, VALUE),
    status404: httpSpec(`${base}/status/404`, VALUE),
    garbage: httpSpec(`${base}/garbage`, VALUE),
    nopath: httpSpec(`${base}/nopath`, VALUE),
    wrongtype: httpSpec(`${base}/wrongtype`, VALUE),
    negative: httpSpec(`${base}/negative`, VALUE),
    huge: httpSpec(`${base}/huge`, VALUE, { maxBytes: 4096 }),
    loop: httpSpec(`${base}/loop`, VALUE),
    short: httpSpec(`${base}/short`, VALUE),
    toPrivate: httpSpec(`${base}/to-private`, VALUE),
    private10: httpSpec('http://10.0.0.1/secret', VALUE, { timeoutMs: 2000 }),
    metadata: httpSpec('http://169.254.169.254/latest/meta-data/iam', VALUE, { timeoutMs: 2000 }),
    localhostName: httpSpec(`http://localhost:${port}/ok/1`, VALUE, { timeoutMs: 2000 }),
    refusedPort: httpSpec('http://127.0.0.1:1/ok', VALUE, { timeoutMs: 2000 }),
  };
  for (const [name, spec] of Object.entries(specs)) hostile[name] = await registerKernel(spec);
  echo = await registerKernel(httpSpec(`${base}/ok/{{$args[0]}}`, VALUE));
  header = await registerKernel(httpSpec(`${base}/ok/1`, VALUE, { headers: { 'X-Who': '{{$args[0]}}' } }));
  ({ app } = await createApp({ kernelIds: [ok, echo, header, ...Object.values(hostile)] }));
});

after(async () => {
  await server?.close();
});

/** Runs [ok, hostile kernel] for a = 7; the request must answer with ok's value and the hostile kernel's err. */
async function runAgainst(name, ...patterns) {
  const r = await executeOk(executeRequest(app, [{ id: ok, inputs: ['$args[0]'] }, hostile[name]], { a: 7n }));
  assert.equal(r.responses.length, 2);
  assertKernelOk(r.responses[0], ok, ['uint256'], [7n]);
  return assertKernelErr(r.responses[1], hostile[name], ...patterns);
}

test('a server that never answers: the kernel times out at its timeoutMs, the request answers', async () => {
  const hitsBefore = server.hits('/hang');
  await runAgainst('hang', /^timed out after 300 ms$/);
  assert.equal(server.hits('/hang'), hitsBefore + 1, 'the engine reached the server');
  await assertAlive();
});

test('a body that trickles in and never completes times out too', async () => {
  await runAgainst('drip', /timed out after 300 ms/);
  await assertAlive();
});

test('HTTP 500 and 404 are errors naming the status', async () => {
  await runAgainst('status500', /^HTTP 500\b/);
  await runAgainst('status404', /^HTTP 404\b/);
  await assertAlive();
});

test('garbage: not JSON, JSON without the path, the wrong type, a negative for uint256', async () => {
  await runAgainst('garbage', /the response is not valid JSON/);
  await runAgainst('nopath', /outputs\[0\] \(\$\.value\): not in the response/);
  await runAgainst('wrongtype', /outputs\[0\] \(\$\.value\): /);
  await runAgainst('negative', /outputs\[0\] \(\$\.value\): /);
  await assertAlive();
});

test('a body over maxBytes is cut off', async () => {
  await runAgainst('huge', /response body larger than 4096 bytes/);
  await assertAlive();
});

test('a redirect loop stops after the redirect limit', async () => {
  const hitsBefore = server.hits('/loop');
  await runAgainst('loop', /too many redirects/);
  assert.ok(server.hits('/loop') - hitsBefore > 1, 'redirects were followed before giving up');
  await assertAlive();
});

test('a response shorter than its Content-Length', async () => {
  await runAgainst('short', /connection closed before a complete response/);
  await assertAlive();
});

test('a closed port is a refused connection', async () => {
  await runAgainst('refusedPort', /connection refused by 127\.0\.0\.1:1/);
  await assertAlive();
});

test('non-allowlisted private addresses are refused (SSRF), also through a redirect or a host name', async () => {
  await runAgainst('private10', /^refused: 10\.0\.0\.1 resolves to 10\.0\.0\.1 \(private\)/, /HTTP policy/);
  await runAgainst('metadata', /^refused: 169\.254\.169\.254 resolves to 169\.254\.169\.254 \(link-local\)/);
  // 127.0.0.1 is allowed by its literal; the name localhost is not on the list.
  await runAgainst('localhostName', /^refused: localhost resolves to \S+ \(loopback\)/);
  const hitsBefore = server.hits('/to-private');
  await runAgainst('toPrivate', /refused: 10\.0\.0\.1 resolves to 10\.0\.0\.1 \(private\)/);
  assert.equal(server.hits('/to-private'), hitsBefore + 1);
  await assertAlive();
});

test('an argument cannot steer the URL or inject a header: it is percent-encoded, control characters refused', async () => {
  const hostileArg = 'x/../../admin?token=1#frag@10.0.0.1';
  const request = (kernel, value) => ({
    ...executeRequest(app, [kernel]),
    function: 'fetch(string,bytes)',
    args: encodeAbiParameters([{ type: 'string' }], [value]),
  });
  const seen = server.received().length;
  const r = await executeOk(request(echo, hostileArg));
  assertKernelErr(r.responses[0], echo, /^HTTP 404\b/);
  const [got] = server.received().slice(seen);
  const rest = got.target.slice('/ok/'.length);
  assert.ok(got.target.startsWith('/ok/'), got.target);
  assert.doesNotMatch(rest, /[/?#@]/, `the argument stays one path segment: ${got.target}`);
  assert.equal(decodeURIComponent(rest), hostileArg);
  const h = await executeOk(request(header, 'a\r\nX-Evil: 1'));
  assertKernelErr(h.responses[0], header, /^headers\.X-Who: \$args\[0\]: the value has a control character$/);
  assert.equal(server.received().length, seen + 1, 'the header injection never reached the server');
  // A plain value goes through as a header.
  const fine = await executeOk(request(header, 'alice'));
  assertKernelOk(fine.responses[0], header, ['uint256'], [1n]);
  assert.equal(server.received().at(-1).headers['x-who'], 'alice');
  await assertAlive();
});

test('every hostile kernel in one request: each gets its own err, the good one its value', async () => {
  const names = Object.keys(hostile);
  const r = await executeOk(executeRequest(app, [{ id: ok, inputs: ['$args[0]'] }, ...names.map((n) => hostile[n])], { a: 9n }));
  assert.equal(r.responses.length, names.length + 1);
  assertKernelOk(r.responses[0], ok, ['uint256'], [9n]);
  names.forEach((name, i) => assertKernelErr(r.responses[i + 1], hostile[name]));
  assert.match(r.responses[1 + names.indexOf('hang')].err, /timed out/);
  assert.match(r.responses[1 + names.indexOf('private10')].err, /refused/);
  await assertAlive();
});
