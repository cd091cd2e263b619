// The app call a payload is bound to: the function's signature (payload parameter last) and abi.encode of
// the arguments before the payload, from an ABI and argument values.
import { encodeAbiParameters, getAbiItem, toFunctionSignature, type Abi, type AbiFunction, type Hex } from "viem";

/** The engine's view of an app call. */
export interface EncodedCall {
  /** e.g. `"trade(uint256,uint256,bytes)"`. */
  function: string;
  /** abi.encode of the arguments before the payload. */
  args: Hex;
  abiFunction: AbiFunction;
}

/** Finds `functionName` (taking `args.length + 1` arguments, the last `bytes`) in `abi` and encodes `args`. */
export function encodeKrnlCall(abi: Abi, functionName: string, args: readonly unknown[]): EncodedCall {
  const candidates = abi.filter(
    (item): item is AbiFunction => item.type === "function" && item.name === functionName && item.inputs.length === args.length + 1,
  );
  const item =
    candidates.length > 1
      ? (getAbiItem({ abi: candidates, name: functionName, args: [...args, "0x"] } as never) as AbiFunction | undefined)
      : candidates[0];
  if (!item)
    throw new Error(`${functionName} with ${args.length} arguments and the payload last is not in the ABI`);
  const last = item.inputs[item.inputs.length - 1];
  if (last?.type !== "bytes")
    throw new Error(`${toFunctionSignature(item)}: the last parameter must be the payload (bytes), not ${last?.type}`);
  return { function: toFunctionSignature(item), args: encodeAbiParameters(item.inputs.slice(0, -1), args), abiFunction: item };
}
