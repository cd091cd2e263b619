// The errors a KRNL-gated call can revert with, merged into a call's ABI so that viem names them.
import type { Abi } from "viem";
import { abis } from "./generated/artifacts.js";

type AbiError = Extract<Abi[number], { type: "error" }>;

const errorKey = (e: AbiError): string => `${e.name}(${e.inputs.map((i) => i.type).join(",")})`;

/** The errors a KRNL-gated call can revert with: KrnlConsumer, TokenAuthority, KrnlVault, KernelRegistry. */
export const krnlErrorsAbi: readonly AbiError[] = (() => {
  const seen = new Set<string>();
  const out: AbiError[] = [];
  for (const abi of [abis.KrnlConsumer, abis.TokenAuthority, abis.KrnlVault, abis.KernelRegistry] as readonly Abi[])
    for (const item of abi)
      if (item.type === "error" && !seen.has(errorKey(item))) {
        seen.add(errorKey(item));
        out.push(item);
      }
  return out;
})();

/** `abi` plus the KRNL errors it lacks, so viem decodes a KRNL revert by name. */
export function withKrnlErrors<const abi extends Abi>(abi: abi): abi {
  const have = new Set(abi.filter((i): i is AbiError => i.type === "error").map(errorKey));
  return [...abi, ...krnlErrorsAbi.filter((e) => !have.has(errorKey(e)))] as unknown as abi;
}

