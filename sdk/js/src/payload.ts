// The KrnlPayload a dApp function takes as its last argument (docs/attestation.md): abi.encode of the struct.
import { decodeAbiParameters, type AbiParameter, type Hex } from "viem";
import type { DecodedPayload } from "./types.js";

/** The ABI of `KrnlPayload` (contracts/src/krnl/KrnlTypes.sol). */
export const krnlPayloadAbi = [
  {
    type: "tuple",
    name: "payload",
    components: [
      { name: "chainId", type: "uint256" },
      { name: "app", type: "address" },
      { name: "sender", type: "address" },
      { name: "selector", type: "bytes4" },
      { name: "argsHash", type: "bytes32" },
      {
        name: "responses",
        type: "tuple[]",
        components: [
          { name: "kernelId", type: "uint256" },
          { name: "result", type: "bytes" },
          { name: "err", type: "string" },
        ],
      },
      { name: "nonce", type: "uint256" },
      { name: "expiry", type: "uint64" },
      { name: "kernelIds", type: "uint256[]" },
      { name: "kernelFees", type: "uint256[]" },
      { name: "nodeFee", type: "uint256" },
      { name: "signatures", type: "bytes" },
    ],
  },
] as const satisfies readonly AbiParameter[];

/** Decodes `abi.encode(KrnlPayload)` (what krnl_executeKernels returns as `payload`). */
export function decodePayload(payload: Hex): DecodedPayload {
  const [p] = decodeAbiParameters(krnlPayloadAbi, payload);
  return {
    chainId: p.chainId,
    app: p.app,
    sender: p.sender,
    selector: p.selector,
    argsHash: p.argsHash,
    responses: p.responses.map((r) => ({ kernelId: r.kernelId, result: r.result, err: r.err })),
    nonce: p.nonce,
    expiry: p.expiry,
    kernelIds: [...p.kernelIds],
    kernelFees: [...p.kernelFees],
    nodeFee: p.nodeFee,
    signatures: p.signatures,
  };
}

/**
 * Decodes a kernel response's `result` with the kernel's output types (e.g. `["bool"]` or ABI parameters).
 * Throws when the response is a failure (`err` set).
 */
export function decodeKernelResult(
  response: { result: Hex; err: string; kernelId: bigint },
  outputs: readonly (string | AbiParameter)[],
): readonly unknown[] {
  if (response.err !== "") throw new Error(`kernel ${response.kernelId} failed: ${response.err}`);
  const params: AbiParameter[] = outputs.map((o) => (typeof o === "string" ? { type: o } : o));
  return decodeAbiParameters(params, response.result);
}
