// decodeKrnlValidatorSignature: the KrnlValidator's part of a user operation's signature taken apart, in
// plugin and enable mode, with and without the node's attestation (end to end: examples/rwa-did/run-account.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { concatHex, encodeAbiParameters, keccak256, numberToHex, stringToHex, type Hex } from "viem";
import { decodeKrnlValidatorSignature, encodeEnableSignature, encodePluginSignature, encodeSudoSignature, krnlAttestationAbi, krnlValidatorAddresses } from "../src/index.js";

const owner: Hex = `0x${"11".repeat(64)}1b`;
const attestation = {
  responsesHash: keccak256(stringToHex("responses")),
  nonce: 7n << 64n,
  expiry: 1_900_000_000n,
  kernelIds: [1n, 2n, 3n],
  kernelFees: [1_000n, 2_000n, 500n],
  nodeFee: 3n,
  signatures: `0x${"22".repeat(64)}1c` as Hex,
};
const encoded = encodeAbiParameters(krnlAttestationAbi, [
  attestation.responsesHash,
  attestation.nonce,
  attestation.expiry,
  attestation.kernelIds,
  attestation.kernelFees,
  attestation.nodeFee,
  attestation.signatures,
]);

test("plugin mode: the owner's signature and the node's attestation", () => {
  const decoded = decodeKrnlValidatorSignature(encodePluginSignature(concatHex([owner, encoded])));
  assert.deepEqual(decoded, { mode: "plugin", ownerSignature: owner, attestation });
});

test("as the wallet signed it (no attestation yet): attestation undefined", () => {
  assert.deepEqual(decodeKrnlValidatorSignature(encodePluginSignature(owner)), { mode: "plugin", ownerSignature: owner, attestation: undefined });
});

test("enable mode: the binding is skipped, whatever its lengths", () => {
  const signature = encodeEnableSignature({
    selector: "0xb61d27f6",
    validator: krnlValidatorAddresses.krnl,
    executor: "0x0000000000000000000000000000000000000000",
    validAfter: 0,
    validUntil: 0,
    validatorData: `0x${"33".repeat(300)}`,
    approval: `0x${"44".repeat(65)}`,
    validatorSignature: concatHex([owner, encoded]),
  });
  assert.deepEqual(decodeKrnlValidatorSignature(signature), { mode: "enable", ownerSignature: owner, attestation });
});

test("sudo mode, a truncated owner signature and a truncated enable binding are refused", () => {
  assert.throws(() => decodeKrnlValidatorSignature(encodeSudoSignature(owner)), /neither plugin/);
  assert.throws(() => decodeKrnlValidatorSignature(encodePluginSignature(`0x${"11".repeat(64)}`)), /65-byte signature is missing/);
  assert.throws(() => decodeKrnlValidatorSignature(concatHex(["0x00000002", numberToHex(0, { size: 52 }), "0xffffffff"])), /missing/);
  assert.throws(() => decodeKrnlValidatorSignature(encodePluginSignature(concatHex([owner, "0x1234"]))));
});
