// The krnld dashboard: one WebSocket to the port that served this page (eth_subscribe newHeads
// and read-only calls; the Content-Security-Policy allows this origin only). Other chains are
// listed by krnl_chains. Text from the node is only ever set as textContent, never as markup.
'use strict';

const $ = (id) => document.getElementById(id);
const MAX_BLOCKS = 10, MAX_TXS = 15, MAX_EXECUTIONS = 50, LOG_BLOCKS = 5000;
// TokenAuthority's AttestationConsumed(uint256 indexed nonce, address indexed sender, bytes4
// selector, bytes32 digest, address[] signers, uint256 charged): keccak256 of that signature.
const ATTESTATION_CONSUMED = '0xd11a7d74eb8eb9971cea02d7b79b6a2a73c5de17d2a93824c2d78a6f42e16153';
// KrnlVault's Settled(address indexed app, uint256 kernelFees, uint256 nodeFeePaid), emitted by
// settle() just before the token authority's AttestationConsumed, in the same transaction.
const SETTLED = '0x468aeeec0e901c52363552a06c1e39331d44c3cc886eb200af127ded3f380f82';
const MAX_EVENTS = 50;
// Events the page can name: topic0 -> signature with its indexed parameters marked (the topic is the
// hash of the signature without them); the predeploys, ERC-20, the EntryPoint.
// tests/dashboard checks each against viem and the Solidity sources.
const EVENTS = {
  // KernelRegistry
  '0xa1e81cf3369b1ab98afedd0481c208d85785c6afa7b8970db2bb0b3345318d0b': 'KernelRegistered(uint256 indexed,address indexed,uint8,bytes32,bytes,uint256)',
  '0x2b34479593c5b1fa3184c01c04b61c2e2dd6adc28ce4665d05649ddea396e7df': 'KernelFeeScheduled(uint256 indexed,uint256,uint64)',
  '0xb07a3aa28b4f602ba3c27bccd2860800ce13aceeb42fb8811b4b3480df9dd273': 'KernelDeactivationScheduled(uint256 indexed,uint64)',
  '0x08b3e988bdf299aca6f9da2f00105cf2f82430aa9add4dc5ffdcf02e3e7f37dc': 'KernelOwnerChanged(uint256 indexed,address indexed)',
  '0x046d2940002530f4a8a98e882274b793a68468e87a32b2fe7b954a4253beea10': 'OperatorRegistered(address indexed,address,string,uint256)',
  '0x638fd8ff81a7074c8e3fd1a7bcdc10a90da5b74fdd36e0cd2f2b4e0b0d5160c2': 'OperatorUpdated(address indexed,address,string)',
  '0x1449c6dd7851abc30abf37f57715f492010519147cc2652fbc38202c18a6ee90': 'Staked(address indexed,uint256,uint256)',
  '0x21020437c0e4b58b34bd7ac1f1cef55e7820d1bcd93824ceb273cad96eea704c': 'UnstakeRequested(address indexed,uint256,uint64)',
  '0xb7c918e0e249f999e965cafeb6c664271b3f4317d296461500e71da39f0cbda3': 'StakeWithdrawn(address indexed,address,uint256)',
  '0xce51242cac1831b57d375e0c5a0cb168d7b83a417a5e01cab7227dbdc417bb00': 'AppRegistered(address indexed,address indexed,uint256[])',
  '0x6eecb719c8f124d0d280ca24e661b7ffe12b44987183b92d0c30112544386d50': 'AppUpdated(address indexed,address indexed,uint256[])',
  // TokenAuthority (one per app)
  '0x47d1c22a25bb3a5d4e481b9b1e6944c2eade3181a0a20b495ed61d35b5323f24': 'SignerAdded(address indexed)',
  '0x3525e22824a8a7df2c9a6029941c824cf95b6447f1e13d5128fd3826d35afe8b': 'SignerRemoved(address indexed)',
  '0x6c4ce60fd690e1216286a10b875c5662555f10774484e58142cedd7a90781baa': 'ThresholdChanged(uint256)',
  '0xde8d86656eb7227e7818c1da8f274d3f03a9b4bae7d28c40103a20b9f523edba': 'PolicyChanged(address indexed)',
  '0xd11a7d74eb8eb9971cea02d7b79b6a2a73c5de17d2a93824c2d78a6f42e16153': 'AttestationConsumed(uint256 indexed,address indexed,bytes4,bytes32,address[],uint256)',
  // solady Ownable (TokenAuthority, and apps built on it)
  '0x8be0079c531659141344cd1fd0a4f28419497f9722a3daafe3b4186f6b6457e0': 'OwnershipTransferred(address indexed,address indexed)',
  // KrnlVault
  '0x8752a472e571a816aea92eec8dae9baf628e840f4929fbcc2d155e6233ff68a7': 'Deposited(address indexed,address indexed,uint256)',
  '0x2cd6435b1b961c13f55202979edd0765a809f69a539d8a477436c94c1211e43e': 'DepositWithdrawn(address indexed,address indexed,uint256)',
  '0x468aeeec0e901c52363552a06c1e39331d44c3cc886eb200af127ded3f380f82': 'Settled(address indexed,uint256,uint256)',
  '0x7084f5476618d8e60b11ef0d7d3f06914655adb8793e28ff7f018d4c76d505d5': 'Withdrawn(address indexed,uint256)',
  // ERC-20
  '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef': 'Transfer(address indexed,address indexed,uint256)',
  '0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925': 'Approval(address indexed,address indexed,uint256)',
  // EntryPoint v0.7 / v0.8
  '0x49628fd1471006c1482da88028e9ce4dbb080b815c9b0344d39e5a8e6ec1419f': 'UserOperationEvent(bytes32 indexed,address indexed,address indexed,uint256,bool,uint256,uint256)',
  '0xd51a9c61267aa6196961883ecf5ff2da6619c37dac0fa92122513fb32c032d2d': 'AccountDeployed(bytes32 indexed,address indexed,address,address)',
  '0xbb47ee3e183a558b1a2ff0874b079f3fc5478b7454eacf2bfc5af2ff5878f972': 'BeforeExecution()',
};
// The predeploys whose events the page names, at their manifest addresses (contracts/build.mjs).
const CONTRACTS = {
  '0xdd6779478dd37ed0ad783cf821997d44649739b6': 'KernelRegistry',
  '0xa15456fff7658a7e0361761faaa2d1037037a40e': 'KrnlVault',
  '0x0000000071727de22e5e9d8baf0edac6f37da032': 'EntryPoint v0.7',
  '0x4337084d9e255ff0702461cf8895ce9e3b5ff108': 'EntryPoint v0.8',
};
// Calls the page can name: 4-byte selector -> signature (the predeploys, ERC-20, the EntryPoint,
// Kernel-v2 accounts, the rwa-did example). tests/dashboard checks each against viem.
const SELECTORS = {
  '0xc1129f3c': 'registerKernel(uint8,bytes,uint256)',
  '0x52f7c988': 'setFee(uint256,uint256)',
  '0x916b9bef': 'deactivate(uint256)',
  '0xfce92894': 'registerOperator(address,string)',
  '0xe9182752': 'registerApp(address,address,uint256[])',
  '0xeb12d61e': 'addSigner(address)',
  '0x960bfe04': 'setThreshold(uint256)',
  '0xf340fa01': 'deposit(address)',
  '0x765e827f': 'handleOps((address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes)[],address)',
  '0xb760faf9': 'depositTo(address)',
  '0xb61d27f6': 'execute(address,uint256,bytes)',
  '0x34fcd5be': 'executeBatch((address,uint256,bytes)[])',
  '0xa9059cbb': 'transfer(address,uint256)',
  '0x095ea7b3': 'approve(address,uint256)',
  '0x23b872dd': 'transferFrom(address,address,uint256)',
  '0x4aa8b669': 'trade(uint256,uint256,bytes)',
  '0xee0fcc75': 'setScore(address,uint256)',
  '0x245afb5a': 'setApproval(address,uint256,bool)',
};
const ENTRY_POINTS = { '0x0000000071727de22e5e9d8baf0edac6f37da032': 'v0.7', '0x4337084d9e255ff0702461cf8895ce9e3b5ff108': 'v0.8' };
let executionsByDigest = new Map();
// Executions opened by the reader stay open across refreshes; an unchanged list is not redrawn
// (so focus stays where it is).
const openExecutions = new Set();
let shownExecutions = '';

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}
const svg = (tag, attrs) => {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
};
const num = (q) => (q === null || q === undefined ? '' : BigInt(q).toString());
const short = (hex) => (hex && hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : hex || '');
const when = (seconds) => new Date(Number(seconds) * 1000).toLocaleTimeString();
const code = (text, title) => h('code', title ? { title } : {}, text);
// A call's name from its selector when known (the full signature as its title), else the selector.
function callName(input) {
  if (!input || input.length < 10) return input && input.length > 2 ? code(input, 'data') : 'value transfer';
  const selector = input.slice(0, 10).toLowerCase(), signature = SELECTORS[selector];
  return signature ? h('span', { class: 'call', title: `${selector} ${signature}` }, signature.slice(0, signature.indexOf('('))) : code(selector, 'selector');
}
// ABI arguments as short text. Static types from their words; dynamic ones (bytes, string, T[],
// tuples) as a summary read through their offset. Every offset and length is checked against the
// data as BigInt and nothing loops over a length, so hostile data gives '(malformed)', never a throw.
const BAD = '(malformed)';
function abiTypes(list) {
  const out = [];
  let depth = 0, start = 0;
  for (let i = 0; i < list.length; i++) {
    if (list[i] === '(') depth++;
    else if (list[i] === ')') depth--;
    else if (list[i] === ',' && !depth) out.push(list.slice(start, i)), (start = i + 1);
  }
  if (list) out.push(list.slice(start));
  return out;
}
const arrayOf = (t) => t.match(/^(.*)\[(\d*)\]$/);
const isTuple = (t) => t.startsWith('(');
const isDynamic = (t) => t === 'bytes' || t === 'string' || (arrayOf(t) ? !arrayOf(t)[2] || isDynamic(arrayOf(t)[1]) : isTuple(t) && abiTypes(t.slice(1, -1)).some(isDynamic));
// Bytes a type takes in the head: 32 for dynamic ones, a static tuple's or fixed array's all.
function headSize(t) {
  if (isDynamic(t)) return 32;
  if (arrayOf(t)) return Number(arrayOf(t)[2]) * headSize(arrayOf(t)[1]);
  return isTuple(t) ? abiTypes(t.slice(1, -1)).reduce((n, c) => n + headSize(c), 0) : 32;
}
// One static word (64 hex digits) as a value of type t.
function abiWord(t, w) {
  const v = BigInt(`0x${w}`);
  if (t === 'address') return `0x${w.slice(24)}`;
  if (t === 'bool') return v < 2n ? String(v === 1n) : BAD;
  if (/^uint\d*$/.test(t)) return v.toString();
  if (/^int\d*$/.test(t)) return BigInt.asIntN(256, v).toString();
  const fixed = t.match(/^bytes(\d+)$/);
  return fixed ? `0x${w.slice(0, 2 * Number(fixed[1]))}` : w;
}
const typeName = (t) => t.replace(/^\(.*\)/, 'tuple');
// The arguments of types in hex (no 0x), as text, one a type.
function abiDecode(types, hex) {
  if (hex.length % 2 || /[^0-9a-f]/i.test(hex)) return types.map(() => BAD);
  const size = BigInt(hex.length / 2);
  const at = (byte) => (byte + 32n <= size ? hex.slice(Number(byte) * 2, Number(byte) * 2 + 64) : null);
  let head = 0n;
  return types.map((t) => {
    const here = head, word = at(here);
    head += BigInt(headSize(t));
    if (!isDynamic(t)) {
      if (here + BigInt(headSize(t)) > size) return BAD;
      return headSize(t) === 32 && !isTuple(t) && !arrayOf(t) ? abiWord(t, word) : typeName(t);
    }
    if (word === null) return BAD;
    const offset = BigInt(`0x${word}`), lengthWord = at(offset);
    if (lengthWord === null) return BAD;
    const length = BigInt(`0x${lengthWord}`), array = arrayOf(t);
    if (array ? array[2] : isTuple(t)) return typeName(t);
    const unit = array ? BigInt(headSize(array[1])) : 1n;
    if (offset + 32n + length * unit > size) return BAD;
    if (array) return `${typeName(array[1])}[${length}]`;
    if (t === 'bytes') return `bytes(${length})`;
    const bytes = Uint8Array.from(hex.slice(Number(offset) * 2 + 64, Number(offset + 32n + length) * 2).match(/../g) || [], (b) => parseInt(b, 16));
    const text = new TextDecoder().decode(bytes);
    return `string "${text.length > 32 ? `${text.slice(0, 32)}…` : text}"`;
  });
}
const typesOf = (signature) => abiTypes(signature.slice(signature.indexOf('(') + 1, -1));
// A known call's arguments (calldata with its selector), or null when the selector is unknown.
function decodeCall(input) {
  const signature = input && SELECTORS[input.slice(0, 10).toLowerCase()];
  return signature ? abiDecode(typesOf(signature), input.slice(10)) : null;
}
// A known event's arguments: indexed static ones from the topics, indexed dynamic ones as their
// topic (a hash), the rest from the data; null when the event is unknown.
function decodeLog(log) {
  const signature = log.topics[0] && EVENTS[log.topics[0].toLowerCase()];
  if (!signature) return null;
  const params = typesOf(signature).map((p) => ({ type: p.replace(/ indexed$/, ''), indexed: p.endsWith(' indexed') }));
  const fromData = abiDecode(params.filter((p) => !p.indexed).map((p) => p.type), (log.data || '0x').slice(2));
  let topic = 1;
  return params.map((p) => {
    if (!p.indexed) return fromData.shift();
    const t = log.topics[topic++];
    if (typeof t !== 'string' || !/^0x[0-9a-f]{64}$/i.test(t)) return BAD;
    return isDynamic(p.type) || headSize(p.type) !== 32 || isTuple(p.type) ? `hash ${t}` : abiWord(p.type, t.slice(2));
  });
}
// Wei as ether with up to 4 decimals (exact value as the title).
function ether(q) {
  const wei = BigInt(q), whole = wei / 10n ** 18n, frac = (wei % 10n ** 18n).toString().padStart(18, '0').slice(0, 4).replace(/0+$/, '');
  return h('span', { title: `${wei} wei` }, frac ? `${whole}.${frac}` : `${whole}`);
}
// Replaces a table's rows, unless they are the same as shown (a redraw would lose the focus).
function fill(body, rows, empty, columns) {
  if (!rows.length) rows = [h('tr', {}, h('td', { colspan: columns, class: 'muted' }, empty))];
  const shown = rows.map((r) => r.outerHTML).join('');
  if (body.dataset.shown === shown) return;
  body.dataset.shown = shown;
  body.replaceChildren(...rows);
}
function status(text, bad) {
  $('status').textContent = text;
  $('status').className = bad ? 'bad' : '';
}

// JSON-RPC over the page's own WebSocket; reconnects after a drop.
const rpc = {
  ws: null, next: 1, pending: new Map(), onHead: null,
  connect() {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`);
    this.ws = ws;
    ws.onopen = () => start().catch((e) => status(`error: ${e.message}`, true));
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      if (msg.method === 'eth_subscription') return this.onHead && this.onHead(msg.params.result);
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      msg.error ? p.reject(Object.assign(new Error(msg.error.message), { code: msg.error.code })) : p.resolve(msg.result);
    };
    ws.onclose = () => {
      for (const p of this.pending.values()) p.reject(new Error('connection closed'));
      this.pending.clear();
      status('disconnected; retrying…', true);
      setTimeout(() => this.connect(), 2000);
    };
  },
  call(method, params = []) {
    return new Promise((resolve, reject) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return reject(new Error('not connected'));
      const id = this.next++;
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  },
};

let chainId = null;
const blocks = [];  // newest first
const txs = [];

async function start() {
  status('connected');
  chainId = await rpc.call('eth_chainId');
  $('this-chain').textContent = `chain ${num(chainId)} on port ${location.port || '80'}`;
  document.title = `krnld ${num(chainId)} dashboard`;
  rpc.onHead = (head) => addBlock(head.number).then(refreshSlow).then(renderAttestations).then(renderEvents).then(renderAccounts)
    .catch((e) => status(`error: ${e.message}`, true));
  await rpc.call('eth_subscribe', ['newHeads']);
  const head = Number(await rpc.call('eth_blockNumber'));
  blocks.length = 0;
  txs.length = 0;
  for (let n = Math.max(0, head - MAX_BLOCKS + 1); n <= head; n++) await addBlock(`0x${n.toString(16)}`, true);
  renderBlocks();
  await refreshSlow();
  await renderAttestations();
  await renderEvents();
  await renderAccounts();
}

async function addBlock(number, quiet) {
  const b = await rpc.call('eth_getBlockByNumber', [number, true]);
  if (!b || blocks.some((x) => x.hash === b.hash)) return;
  blocks.unshift(b);
  blocks.length = Math.min(blocks.length, MAX_BLOCKS);
  for (const tx of b.transactions) txs.unshift(tx);
  txs.length = Math.min(txs.length, MAX_TXS);
  if (!quiet) renderBlocks();
}

function renderBlocks() {
  fill($('blocks-body'), blocks.map((b) => h('tr', {},
    h('td', {}, num(b.number)), h('td', {}, code(short(b.hash), b.hash)), h('td', {}, b.transactions.length),
    h('td', {}, num(b.gasUsed)), h('td', {}, when(b.timestamp)))), 'no blocks', 5);
  fill($('txs-body'), txs.map((t) => h('tr', {},
    h('td', {}, num(t.blockNumber)), h('td', {}, code(short(t.hash), t.hash)), h('td', {}, code(short(t.from), t.from)),
    h('td', {}, t.to ? code(short(t.to), t.to) : 'create'),
    h('td', {}, t.to ? callCell(t) : 'deploy'),
    h('td', {}, num(t.value)))), 'no transactions yet', 6);
}
// A transaction's call: its name, and where the selector is known its decoded arguments in a
// disclosure that stays open across redraws once opened.
const openCalls = new Set();
function callCell(t) {
  const args = decodeCall(t.input);
  if (!args) return callName(t.input);
  const details = h('details', openCalls.has(t.hash) ? { open: '', class: 'args' } : { class: 'args' },
    h('summary', {}, callName(t.input)), h('code', {}, args.length ? args.join(', ') : '(no arguments)'));
  details.addEventListener('toggle', () => (details.open ? openCalls.add(t.hash) : openCalls.delete(t.hash)));
  return details;
}

// What changes without a block of this chain (other chains, refused executions) is polled too.
let slowBusy = false;
async function refreshSlow() {
  if (slowBusy) return;
  slowBusy = true;
  try {
    await Promise.all([renderChains(), renderKernels(), renderExecutions(), renderMempool()]);
  } finally {
    slowBusy = false;
  }
}

async function renderChains() {
  let chains;
  try {
    chains = await rpc.call('krnl_chains');
  } catch {
    chains = [{ chainId, name: '', port: Number(location.port), head: blocks[0] && blocks[0].number, timestamp: blocks[0] && blocks[0].timestamp }];
  }
  fill($('chains-body'), chains.map((c) => {
    const here = BigInt(c.chainId) === BigInt(chainId);
    return h('tr', here ? { class: 'here' } : {},
      h('th', { scope: 'row' }, num(c.chainId)), h('td', {}, c.name), h('td', {}, c.port),
      h('td', {}, num(c.head)), h('td', {}, c.timestamp ? when(c.timestamp) : ''),
      h('td', {}, here ? 'this page' : h('a', { href: `${location.protocol}//${location.hostname}:${c.port}/` }, `open :${c.port}`)));
  }), 'no chains', 6);
}

// The node's accounts with their balance and nonce at this chain's head (on each new head).
async function renderAccounts() {
  const accounts = await rpc.call('eth_accounts');
  const rows = await Promise.all(accounts.map(async (a) => {
    const [balance, nonce] = await Promise.all([rpc.call('eth_getBalance', [a, 'latest']), rpc.call('eth_getTransactionCount', [a, 'latest'])]);
    return h('tr', {}, h('th', { scope: 'row' }, code(a)), h('td', {}, ether(balance)), h('td', {}, num(nonce)));
  }));
  fill($('accounts-body'), rows, 'the node holds no accounts', 3);
}

// The bundler's pending user operations (per EntryPoint) and its reputation table; -32601 when
// this port serves no bundler.
async function renderMempool() {
  let entryPoints, reputation;
  try {
    entryPoints = await rpc.call('eth_supportedEntryPoints');
    reputation = await rpc.call('debug_bundler_dumpReputation', entryPoints.slice(0, 1));
  } catch (e) {
    $('mempool-note').textContent = e.code === -32601 ? 'The bundler is off on this port (no ERC-4337 methods).' : `unavailable: ${e.message}`;
    fill($('mempool-body'), [], 'bundler off', 9);
    fill($('reputation-body'), [], 'bundler off', 4);
    return;
  }
  const pools = await Promise.all(entryPoints.map((ep) => rpc.call('debug_bundler_dumpMempool', [ep]).then((ops) => ops.map((op) => [ep, op]))));
  const ops = pools.flat();
  $('mempool-note').textContent = `${ops.length} pending for EntryPoint ${entryPoints.map((ep) => ENTRY_POINTS[ep.toLowerCase()] || ep).join(' and ')}`;
  fill($('mempool-body'), ops.map(([ep, op]) => h('tr', {},
    h('td', {}, ENTRY_POINTS[ep.toLowerCase()] || code(short(ep), ep)), h('td', {}, code(short(op.sender), op.sender)),
    h('td', {}, opNonce(op.nonce)), h('td', {}, callName(op.callData)), h('td', {}, num(op.callGasLimit)),
    h('td', {}, num(op.verificationGasLimit)), h('td', {}, num(op.preVerificationGas)),
    h('td', {}, `${num(op.maxFeePerGas)} / ${num(op.maxPriorityFeePerGas)}`),
    h('td', {}, op.paymaster ? code(short(op.paymaster), op.paymaster) : 'none'))), 'no pending user operations', 9);
  const statuses = ['ok', 'throttled', 'banned'];
  fill($('reputation-body'), reputation.map((r) => h('tr', {},
    h('th', { scope: 'row' }, code(r.address)), h('td', {}, num(r.opsSeen)), h('td', {}, num(r.opsIncluded)),
    h('td', { class: `rep-${statuses[r.status] || 'unknown'}` }, statuses[r.status] || String(r.status)))), 'no reputation entries', 4);
}

// An ERC-4337 nonce is key (192 bits) and sequence (64 bits): the sequence, with its key if not 0.
function opNonce(q) {
  const n = BigInt(q), key = n >> 64n, seq = n & 0xffffffffffffffffn;
  return key ? h('span', { title: `key 0x${key.toString(16)}` }, `${seq} (key 0x${key.toString(16).slice(0, 6)}…)`) : seq.toString();
}

function engineMissing(e, note) {
  // -32601: this node serves no engine on this port.
  $(note).textContent = e.code === -32601 ? 'The kernel engine is not served on this port.' : `unavailable: ${e.message}`;
}

async function renderKernels() {
  let kernels;
  try {
    kernels = await rpc.call('krnl_listKernels');
  } catch (e) {
    return engineMissing(e, 'kernels-note');
  }
  $('kernels-note').textContent = `${kernels.length} registered on the engine's home chain`;
  fill($('kernels-body'), kernels.map((k) => h('tr', {},
    h('th', { scope: 'row' }, num(k.id)), h('td', {}, k.kind), h('td', {}, code(short(k.owner), k.owner)),
    h('td', {}, num(k.fee)), h('td', {}, k.active ? 'yes' : 'no'),
    h('td', {}, specSummary(k.spec)))), 'no kernels registered', 6);
}

function specSummary(spec) {
  if (typeof spec !== 'object' || spec === null) return code(String(spec).slice(0, 60));
  const text = spec.name || spec.description || JSON.stringify(spec).slice(0, 80);
  return h('span', { title: JSON.stringify(spec) }, text);
}

async function renderExecutions() {
  let list;
  try {
    list = await rpc.call('krnl_recentExecutions', [MAX_EXECUTIONS]);
  } catch (e) {
    return engineMissing(e, 'executions-note');
  }
  $('executions-note').textContent = list.length ? `${list.length} most recent, newest first` : 'no executions yet';
  const shown = list.map((x) => x.id).join();
  if (shown === shownExecutions) return;
  shownExecutions = shown;
  $('executions-list').replaceChildren(...list.map(executionItem));
  executionsByDigest = new Map(list.filter((x) => x.digest).map((x) => [x.digest, x.id]));
  drawLatency(list.slice().reverse());
  // A head may have drawn the attestations before this poll knew their executions.
  await renderAttestations();
}

function executionItem(x) {
  const summary = h('summary', {},
    h('span', { class: `badge ${x.verdict}` }, x.verdict), ' ',
    `#${x.id} ${x.function || '(no function)'} by `, code(short(x.sender), x.sender),
    ` for app `, code(short(x.app), x.app), ` — ${x.totalMs} ms, ${new Date(x.timestamp).toLocaleTimeString()}`);
  const facts = h('dl', {},
    h('dt', {}, 'Policy'), h('dd', { class: 'reason' }, x.verdict === 'approved' ? 'passed' : x.reason || '(no reason)'),
    h('dt', {}, 'Attestation'), h('dd', {}, x.attested ? `issued, signed by ${x.signers.join(', ')}; fee ${num(x.feeTotal)} wei` : 'none'));
  if (x.errorCode !== null) facts.append(h('dt', {}, 'Error code'), h('dd', {}, x.errorCode));
  const kernels = h('table', { class: 'kernels' },
    h('caption', {}, 'Kernel responses'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Kernel'), h('th', { scope: 'col' }, 'Time'), h('th', { scope: 'col' }, 'Response'))),
    h('tbody', {}, ...x.kernels.map((k) => h('tr', {},
      h('th', { scope: 'row' }, num(k.kernelId)), h('td', {}, k.ms === null ? '—' : `${k.ms} ms`),
      h('td', {}, k.error ? h('span', { class: 'failed' }, k.error) : code(short(k.result), k.result))))));
  const details = h('details', openExecutions.has(x.id) ? { open: '' } : {}, summary, facts, kernels);
  details.addEventListener('toggle', () => (details.open ? openExecutions.add(x.id) : openExecutions.delete(x.id)));
  return h('li', { class: `execution ${x.verdict}` }, details);
}

const word = (data, i) => data.slice(2 + 64 * i, 2 + 64 * (i + 1));
const uint = (data, i) => BigInt(`0x${word(data, i) || '0'}`);
// The Settled log of an attestation's settlement: the vault's last one before it in its transaction.
function settlementOf(consumed, settled) {
  let found = null;
  for (const s of settled)
    if (s.transactionHash === consumed.transactionHash && Number(s.logIndex) < Number(consumed.logIndex)
        && (!found || Number(s.logIndex) > Number(found.logIndex))) found = s;
  return found && { kernelFees: uint(found.data, 0), nodeFee: uint(found.data, 1) };
}

// The consumed attestations of the last LOG_BLOCKS blocks, newest first, from their events, with
// the fees the vault settled for each.
async function renderAttestations() {
  const head = blocks[0] ? Number(blocks[0].number) : 0;
  const range = { fromBlock: `0x${Math.max(0, head - LOG_BLOCKS).toString(16)}`, toBlock: 'latest' };
  const [logs, settled] = await Promise.all([
    rpc.call('eth_getLogs', [{ ...range, topics: [ATTESTATION_CONSUMED] }]),
    rpc.call('eth_getLogs', [{ ...range, topics: [SETTLED] }]),
  ]);
  const shown = logs.reverse().slice(0, 20);
  const totals = { kernelFees: 0n, nodeFee: 0n, charged: 0n };
  const rows = shown.map((l) => {
    const fees = settlementOf(l, settled);
    const charged = uint(l.data, 3);
    if (fees) {
      totals.kernelFees += fees.kernelFees;
      totals.nodeFee += fees.nodeFee;
    }
    totals.charged += charged;
    const digest = `0x${word(l.data, 1)}`;
    const signersAt = Number(BigInt(`0x${word(l.data, 2)}`)) / 32;
    const count = Number(BigInt(`0x${word(l.data, signersAt)}`));
    const signers = Array.from({ length: count }, (_, i) => `0x${word(l.data, signersAt + 1 + i).slice(24)}`);
    const execution = executionsByDigest.get(digest);
    return h('tr', {},
      h('td', {}, num(l.blockNumber)), h('td', {}, code(short(l.transactionHash), l.transactionHash)),
      h('td', {}, code(short(l.address), l.address)), h('td', {}, code(short(`0x${l.topics[2].slice(26)}`), `0x${l.topics[2].slice(26)}`)),
      h('td', {}, code(`0x${word(l.data, 0).slice(0, 8)}`)),
      h('td', {}, execution ? `#${execution}` : code(short(digest), `digest ${digest}`)),
      h('td', { title: signers.join(', ') }, signers.length),
      h('td', { class: 'fee-kernels' }, fees ? fees.kernelFees.toString() : '—'),
      h('td', { class: 'fee-node' }, fees ? fees.nodeFee.toString() : '—'), h('td', {}, charged.toString()));
  });
  fill($('attestations-body'), rows, `none in the last ${LOG_BLOCKS} blocks`, 10);
  $('attestations-foot').replaceChildren(...(shown.length ? [h('tr', {},
    h('th', { scope: 'row', colspan: 7 }, `Total of the ${shown.length} shown`),
    h('td', { class: 'fee-kernels' }, totals.kernelFees.toString()), h('td', { class: 'fee-node' }, totals.nodeFee.toString()),
    h('td', {}, totals.charged.toString()))] : []));
}

// The last MAX_EVENTS logs of this chain, newest first, named where the event is known. Over the
// attestations' range, or the shown blocks' when that range holds more logs than the node returns.
async function renderEvents() {
  const head = blocks[0] ? Number(blocks[0].number) : 0;
  const query = (span) => rpc.call('eth_getLogs', [{ fromBlock: `0x${Math.max(0, head - span).toString(16)}`, toBlock: 'latest' }]);
  let logs, span = LOG_BLOCKS;
  try {
    logs = await query(span);
  } catch {
    span = MAX_BLOCKS - 1;
    logs = await query(span);
  }
  $('events-note').textContent = `${Math.min(logs.length, MAX_EVENTS)} of ${logs.length} in the last ${span + 1} blocks, newest first`;
  fill($('events-body'), logs.slice(-MAX_EVENTS).reverse().map((l) => {
    const topic = l.topics[0], signature = topic && EVENTS[topic.toLowerCase()];
    const contract = CONTRACTS[l.address.toLowerCase()], args = decodeLog(l), text = args ? args.join(', ') : '';
    return h('tr', {},
      h('td', {}, signature ? h('span', { class: 'event', title: `${topic} ${signature}` }, signature.slice(0, signature.indexOf('(')))
        : topic ? code(short(topic), topic) : '(anonymous, no topics)'),
      h('td', {}, contract ? h('span', { title: l.address }, contract) : code(short(l.address), l.address)),
      h('td', { class: 'args', title: text }, text.length > 60 ? `${text.slice(0, 60)}…` : text),
      h('td', {}, num(l.blockNumber)), h('td', {}, code(short(l.transactionHash), l.transactionHash)), h('td', {}, num(l.logIndex)));
  }), `no events in the last ${span + 1} blocks`, 6);
}

function drawLatency(list) {
  const chart = $('latency');
  const W = 600, H = 120, pad = 14;
  const max = Math.max(1, ...list.map((x) => x.totalMs));
  const bar = list.length ? (W - pad) / list.length : 0;
  const nodes = [svg('line', { x1: pad, y1: H - pad, x2: W, y2: H - pad, class: 'axis' })];
  list.forEach((x, i) => {
    const height = Math.max(1, ((H - 2 * pad) * x.totalMs) / max);
    const rect = svg('rect', { x: pad + i * bar + 1, y: H - pad - height, width: Math.max(1, bar - 2), height, class: x.verdict });
    rect.append(Object.assign(svg('title', {}), { textContent: `#${x.id} ${x.verdict}: ${x.totalMs} ms` }));
    nodes.push(rect);
  });
  chart.replaceChildren(...nodes);
  $('latency-cap').firstChild.textContent = list.length
    ? `Latency of the ${list.length} recent executions, oldest left, tallest ${max} ms (`
    : 'No executions yet (';
}

rpc.connect();
setInterval(() => rpc.ws && rpc.ws.readyState === WebSocket.OPEN && refreshSlow().catch((e) => status(e.message, true)), 2000);
