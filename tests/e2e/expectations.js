// What each target must answer where answers are not fixed by the JSON-RPC spec or Ethereum itself.
//
// krnld follows geth's messages and the JSON-RPC 2.0 / EIP-1474 codes. Hardhat (the reference the suite
// is validated against today) words most errors its own way; every Hardhat row that differs from krnld's
// carries a one-line comment starting "Deliberate" (the suite asserts Hardhat's real answer there, and
// krnld's answer is geth's). Where even the error code differs, the comment says "CODE DIFFERS"; every
// other row has the same code on both targets.
import { target } from './lib/env.js';

const krnld = {
  // web3_clientVersion: "krnld/v<semver>/..." (geth style: name/version/os/compiler).
  clientVersion: /^krnld\/v\d+\.\d+\.\d+/,
  // Codec level (JSON-RPC 2.0).
  parseError: { code: -32700, message: /^parse error/i },
  invalidRequest: { code: -32600, message: /^invalid request/i },
  // geth: "the method X does not exist/is not available".
  methodNotFound: { code: -32601, message: /^the method (\S+) does not exist\/is not available$/ },
  // geth: "invalid argument 0: hex string has length 4, want 40 for common.Address".
  invalidAddress: { code: -32602, message: /^invalid argument 0: / },
  // geth: "invalid argument 1: hex string without 0x prefix" and the like.
  invalidQuantity: { code: -32602, message: /^invalid argument 1: / },
  // geth: "missing value for required argument 0".
  missingParam: { code: -32602, message: /^missing value for required argument 0$/ },
  // JSON-RPC 2.0: an empty batch is one Invalid Request error (geth says "empty batch").
  emptyBatch: { reply: 'error', code: -32600, message: /empty batch|invalid request/i },
  // JSON-RPC 2.0: notifications (no id) inside a batch get no reply element.
  notificationInBatch: 'no reply',

  // eth_newBlockFilter reports only blocks sealed after it was installed.
  blockFilterReportsHeadAtCreation: false,
  // eth_getFilterLogs re-runs the filter's query every time, whatever getFilterChanges consumed.
  filterLogsRepeatable: true,
  // A filter id that was uninstalled or never existed (geth: -32000 "filter not found").
  filterNotFound: { code: -32000, message: /^filter not found$/ },

  // WebSocket subscriptions (geth): over HTTP there are none; an unknown id is an error.
  subscribeOverHttp: { code: -32601, message: /^notifications not supported$/ },
  unsubscribeUnknown: { code: -32000, message: /^subscription not found$/ },

  // eth_sendTransaction from an address the node holds no key for and does not impersonate (geth: "unknown account").
  unknownAccount: { code: -32000, message: /^unknown account/i },

  // Transaction pool (geth's core/txpool wording, code -32000).
  nonceTooLow: { code: -32000, message: /^nonce too low: next nonce (\d+), tx nonce (\d+)$/, groups: ['expected', 'got'] },
  insufficientFunds: {
    code: -32000,
    message: /^insufficient funds for gas \* price \+ value: balance (\d+), tx cost (\d+), overshot (\d+)$/,
    groups: ['balance', 'cost'],
  },
  replacementUnderpriced: { code: -32000, message: /^replacement transaction underpriced$/ },
  intrinsicGasTooLow: { code: -32000, message: /^intrinsic gas too low: gas (\d+), minimum needed (\d+)$/, groups: ['got', 'needed'] },

  // A transaction signed for another chain id (geth: "invalid sender: invalid chain id for signer: have 1 want 31337").
  wrongChainId: { code: -32000, message: /^invalid sender: invalid chain id/ },
  // Raw transaction bytes that do not decode: invalid params (geth says "rlp: ..." with -32000; we keep
  // geth's wording and the standard -32602 code, as Hardhat does).
  undecodableTransaction: { code: -32602, message: /^(rlp: |typed transaction too short|transaction type not supported)/ },

  // eth_call / eth_estimateGas of a reverting call: code 3 (EIP-1474 "execution error"), data = revert bytes.
  revertWithReason: { code: 3, message: /^execution reverted: (.*)$/ },
  revertCustom: { code: 3, message: /^execution reverted$/ },
  revertData: (error) => error.data,

  // eth_estimateGas of a plain transfer to an EOA is exactly 21000 (geth short-cuts it).
  transferEstimate: (gas) => gas === 21000n,

  // evm_increaseTime answers the total offset in seconds (anvil: a JSON number).
  increaseTimeResult: (result) => Number(result),

  // Method groups Hardhat lacks; krnld must have them.
  supports: {
    callTracer: true,
    prestateTracer: true,
    traceBlock: true,
    blockReceipts: true,
    createAccessList: true,
    blockOverrides: true,
    anvilMethods: true,
    hardhatMethods: true,
  },

  // krnld's request limits (defaults of `krnld --dev`, modelled on geth's): gated on target.
  limits: {
    maxBodyBytes: 5 * 1024 * 1024, // geth: 5 MiB; a larger body gets HTTP 413
    maxBatchItems: 1000, // geth: 1000; a larger batch gets one -32600 error
    maxLogsBlockRange: 10_000, // a getLogs whose [fromBlock, toBlock] spans more gets -32005
  },
  batchTooLarge: { code: -32600, message: /batch too large/i },
  logsRangeTooWide: { code: -32005, message: /block range/i },
};

const hardhat = {
  clientVersion: /^HardhatNetwork\/2\.\d+\.\d+\//,
  parseError: { code: -32700, message: /^parse error/i },
  invalidRequest: { code: -32600, message: /^invalid request/i },
  // Deliberate: Hardhat says "Method X is not supported" — CODE DIFFERS: -32004 instead of -32601.
  methodNotFound: { code: -32004, message: /^Method (\S+) is not supported$/ },
  // Deliberate: Hardhat's serde wording ("invalid value ... supplied to : ADDRESS").
  invalidAddress: { code: -32602, message: /invalid value|invalid type|invalid length/i },
  // Deliberate: Hardhat's serde wording.
  invalidQuantity: { code: -32602, message: /invalid value|invalid type|invalid length|without 0x prefix|hex/i },
  // Deliberate: Hardhat's serde wording ("invalid length 0, expected tuple variant ...").
  missingParam: { code: -32602, message: /^invalid length 0/ },
  // Deliberate deviation from JSON-RPC 2.0: Hardhat answers an empty batch with an empty array.
  emptyBatch: { reply: 'empty array' },
  // Deliberate deviation from JSON-RPC 2.0: Hardhat answers a notification in a batch with -32600.
  notificationInBatch: 'invalid request reply',

  // Deliberate: Hardhat's first eth_getFilterChanges of a block filter also reports the head it was created at.
  blockFilterReportsHeadAtCreation: true,
  // Deliberate: Hardhat's eth_getFilterLogs and eth_getFilterChanges drain one shared buffer.
  filterLogsRepeatable: false,
  // Deliberate: Hardhat answers null for an unknown filter id instead of an error.
  filterNotFound: null,

  // Deliberate: Hardhat accepts eth_subscribe over HTTP (the id can then only be polled).
  subscribeOverHttp: 'accepted',
  // Deliberate: Hardhat answers false for an unknown subscription id.
  unsubscribeUnknown: false,

  // Same code; Hardhat's message also names the address ("Unknown account 0x...").
  unknownAccount: { code: -32000, message: /^unknown account/i },

  // Deliberate: Hardhat's wording ("Nonce too low. Expected nonce to be N but got M.").
  nonceTooLow: { code: -32000, message: /^Nonce too low\. Expected nonce to be (\d+) but got (\d+)\./, groups: ['expected', 'got'] },
  // Deliberate: Hardhat's wording ("Sender doesn't have enough funds ... max upfront cost is: C and the sender's balance is: B.").
  insufficientFunds: {
    code: -32000,
    message: /^Sender doesn't have enough funds to send tx\. The max upfront cost is: (\d+) and the sender's balance is: (\d+)\.$/,
    groups: ['cost', 'balance'],
  },
  // Deliberate: Hardhat's wording also names the minimum fee that would replace.
  replacementUnderpriced: { code: -32000, message: /^Replacement transaction underpriced\./ },
  // Deliberate: Hardhat's wording ("Transaction requires at least N gas but got M").
  intrinsicGasTooLow: { code: -32000, message: /^Transaction requires at least (\d+) gas but got (\d+)$/, groups: ['needed', 'got'] },

  // Deliberate: Hardhat's wording — CODE DIFFERS: -32602 (geth, and so krnld, say -32000 "invalid sender").
  wrongChainId: { code: -32602, message: /invalid chainId/ },
  // Deliberate: Hardhat's wording ("input too short" and the like).
  undecodableTransaction: { code: -32602, message: /input too short|rlp|decod/i },

  // Deliberate: Hardhat's "VM Exception" wording — CODE DIFFERS: -32603 instead of 3.
  revertWithReason: { code: -32603, message: /reverted with reason string '(.*)'$/ },
  // Deliberate: Hardhat's wording — CODE DIFFERS: -32603 instead of 3.
  revertCustom: { code: -32603, message: /reverted with an unrecognized custom error/ },
  // Deliberate: Hardhat nests the revert bytes in data.data instead of data.
  revertData: (error) => error.data?.data,

  // Deliberate: Hardhat's binary search stops a little above 21000 for a plain transfer (it says 21001).
  transferEstimate: (gas) => gas >= 21000n && gas <= 21000n + 210n,

  // Deliberate: Hardhat answers the total offset as a decimal string.
  increaseTimeResult: (result) => Number(result),

  supports: {
    callTracer: false, // "Hardhat currently only supports the default tracer"
    prestateTracer: false,
    traceBlock: false, // debug_traceBlockByNumber: "Method ... is not supported"
    blockReceipts: false, // eth_getBlockReceipts: not supported
    createAccessList: false, // eth_createAccessList: not supported
    blockOverrides: false, // eth_call's 4th parameter is rejected ("trailing characters")
    anvilMethods: false, // anvil_*: not supported
    hardhatMethods: true,
  },
  limits: null,
};

export const expectations = { krnld, hardhat };
export const expected = expectations[target] ?? krnld;

/** Reads the named capture groups of an expectation row's message match as bigints. */
export function groupsOf(row, match) {
  const out = {};
  (row.groups ?? []).forEach((name, i) => {
    out[name] = BigInt(match[i + 1]);
  });
  return out;
}
