// The account side of KRNL (docs/account-attestation.md): what an account installs in the
// KrnlValidator, the requirement the engine reads per selector, and the calls of the whole setup
// (bind the selector, register the account as its own app, fund its deposit), sent as one sudo op.
import {
  decodeAbiParameters,
  encodeAbiParameters,
  encodeFunctionData,
  hexToNumber,
  size,
  sliceHex,
  toFunctionSelector,
  zeroAddress,
  type Address,
  type Hex,
} from "viem";
import { kernelRegistryAppAbi, krnlAccountAbi, krnlVaultDepositAbi } from "./abi.js";
import { krnlProtocolAddresses, krnlValidatorAddresses } from "./addresses.js";
import { signatureModes } from "./modes.js";

/** The account's execute(address,uint256,bytes): the selector KRNL setups usually guard. */
export const executeFunction = "execute(address,uint256,bytes)";
/** Its selector. */
export const executeSelector: Hex = toFunctionSelector(executeFunction);

/** A kernel of a requirement: its id and inputs, as krnl_executeKernels takes them. */
export interface RequirementKernel {
  id: bigint | number | Hex;
  /** References only: "$sender", "$app", "$args[i]", "$kernel:<k>[<j>]". */
  inputs?: readonly string[] | undefined;
  required?: boolean | undefined;
}

/**
 * The requirement of one selector: the JSON the engine reads from requirementOf(account, selector):
 * {"function": the call's signature, "kernels": [{id, inputs, required?}]}. `$args[i]` are the call's
 * arguments (for execute: target, value, data).
 */
export function krnlRequirement(p: { function?: string; kernels: readonly (RequirementKernel | bigint)[] }): string {
  return JSON.stringify({
    function: p.function ?? executeFunction,
    kernels: p.kernels.map((k) => {
      const kernel: RequirementKernel = typeof k === "bigint" ? { id: k } : k;
      const out: { id: string; inputs: readonly string[]; required?: boolean } = {
        id: `0x${BigInt(kernel.id).toString(16)}`,
        inputs: kernel.inputs ?? [],
      };
      if (kernel.required !== undefined) out.required = kernel.required;
      return out;
    }),
  });
}

/** What an account installs in the KrnlValidator. */
export interface KrnlValidatorConfig {
  /** Whose signature every op carries besides the attestation; the zero address (default): the account itself (EIP-7702). */
  owner?: Address | undefined;
  /** The node signers the account trusts. */
  signers: readonly Address[];
  /** k of them must sign (default 1). */
  threshold?: bigint | number | undefined;
  /** The IKrnlPolicy the engine asks; the zero address (default): none, the kernels alone decide. */
  policy?: Address | undefined;
  /** The guarded selectors and each one's requirement ({@link krnlRequirement}), in the same order. */
  selectors?: readonly Hex[] | undefined;
  requirements: readonly string[];
}

/** KrnlValidator.onInstall's data: abi.encode(owner, signers, threshold, policy, selectors, requirements). */
export function krnlValidatorInstallData(c: KrnlValidatorConfig): Hex {
  const selectors = c.selectors ?? [executeSelector];
  if (selectors.length !== c.requirements.length) {
    throw new Error(`KrnlValidator install data: ${selectors.length} selectors but ${c.requirements.length} requirements`);
  }
  return encodeAbiParameters(
    [{ type: "address" }, { type: "address[]" }, { type: "uint256" }, { type: "address" }, { type: "bytes4[]" }, { type: "string[]" }],
    [c.owner ?? zeroAddress, c.signers, BigInt(c.threshold ?? 1n), c.policy ?? zeroAddress, selectors, c.requirements],
  );
}

/** A call of a user operation (viem's shape). */
export interface AccountCall {
  to: Address;
  value?: bigint | undefined;
  data?: Hex | undefined;
}

/**
 * The calls of an account's KRNL setup, for one sudo operation: bind each guarded selector to the
 * KrnlValidator with `config` (the first binding installs it; the same config is written once per
 * selector), register the account as an app of the KernelRegistry with the validator as its token
 * authority and `kernelIds`, and deposit `deposit` wei for it in the KrnlVault.
 */
export function installKrnlValidatorCalls(p: {
  account: Address;
  config: KrnlValidatorConfig;
  kernelIds: readonly bigint[];
  deposit?: bigint | undefined;
  validator?: Address | undefined;
  registry?: Address | undefined;
  vault?: Address | undefined;
}): AccountCall[] {
  const validator = p.validator ?? krnlValidatorAddresses.krnl;
  const registry = p.registry ?? krnlProtocolAddresses.registry;
  const vault = p.vault ?? krnlProtocolAddresses.vault;
  const data = krnlValidatorInstallData(p.config);
  const selectors = p.config.selectors ?? [executeSelector];
  const calls: AccountCall[] = selectors.map((selector) => ({
    to: p.account,
    data: encodeFunctionData({ abi: krnlAccountAbi, functionName: "setExecution", args: [selector, zeroAddress, validator, 0, 0, data] }),
  }));
  calls.push({
    to: registry,
    data: encodeFunctionData({ abi: kernelRegistryAppAbi, functionName: "registerApp", args: [p.account, validator, p.kernelIds] }),
  });
  if (p.deposit !== undefined && p.deposit > 0n) {
    calls.push({ to: vault, value: p.deposit, data: encodeFunctionData({ abi: krnlVaultDepositAbi, functionName: "deposit", args: [p.account] }) });
  }
  return calls;
}

/**
 * The call that binds `selector` to a validator (sudo mode; `validatorData` its onInstall data), e.g. a
 * session key or passkey validator for plugin mode, without enable mode.
 */
export function setExecutionCall(p: {
  account: Address;
  selector?: Hex | undefined;
  validator: Address;
  validatorData: Hex;
  executor?: Address | undefined;
  validAfter?: number | undefined;
  validUntil?: number | undefined;
}): AccountCall {
  return {
    to: p.account,
    data: encodeFunctionData({
      abi: krnlAccountAbi,
      functionName: "setExecution",
      args: [p.selector ?? executeSelector, p.executor ?? zeroAddress, p.validator, p.validAfter ?? 0, p.validUntil ?? 0, p.validatorData],
    }),
  };
}

/** What the node appends to a KrnlValidator signature (after the owner's 65 bytes), as KrnlValidator decodes it. */
export const krnlAttestationAbi = [
  { name: "responsesHash", type: "bytes32" },
  { name: "nonce", type: "uint256" },
  { name: "expiry", type: "uint64" },
  { name: "kernelIds", type: "uint256[]" },
  { name: "kernelFees", type: "uint256[]" },
  { name: "nodeFee", type: "uint256" },
  { name: "signatures", type: "bytes" },
] as const;

/** The node's attestation of a user operation (docs/account-attestation.md). */
export interface KrnlAttestation {
  /** keccak256 of the kernel responses the engine attested. */
  responsesHash: Hex;
  /** The operation's nonce: the attestation is for this operation only. */
  nonce: bigint;
  /** Unix seconds; the op's validUntil. */
  expiry: bigint;
  kernelIds: bigint[];
  kernelFees: bigint[];
  nodeFee: bigint;
  /** Concatenated 65-byte node signatures, signers ascending. */
  signatures: Hex;
}

/** A KrnlValidator operation signature, taken apart. */
export interface KrnlValidatorSignature {
  /** The account's signature mode: plugin, or enable (the binding precedes the validator's part). */
  mode: "plugin" | "enable";
  /** The owner's 65-byte EIP-191 signature of the userOpHash. */
  ownerSignature: Hex;
  /** The node's attestation; undefined while the node has not appended one (as the wallet signed it). */
  attestation: KrnlAttestation | undefined;
}

/**
 * Decodes a user operation's signature for the KrnlValidator: mode | [enable binding] | owner signature
 * (65 bytes) | abi.encode(responsesHash, nonce, expiry, kernelIds, kernelFees, nodeFee, signatures).
 * Throws for a sudo-mode signature (the root validates it, not the KrnlValidator) or a truncated one.
 */
export function decodeKrnlValidatorSignature(signature: Hex): KrnlValidatorSignature {
  const length = size(signature);
  const mode = length >= 4 ? sliceHex(signature, 0, 4) : "0x";
  let offset: number;
  if (mode === signatureModes.plugin) offset = 4;
  else if (mode === signatureModes.enable) {
    // mode(4) | validAfter(6) | validUntil(6) | validator(20) | executor(20) | len(4) | data | len(4) | approval
    const lengthAt = (at: number): number => (at + 4 <= length ? hexToNumber(sliceHex(signature, at, at + 4)) : Number.POSITIVE_INFINITY);
    const dataEnd = 60 + lengthAt(56);
    offset = dataEnd + 4 + lengthAt(dataEnd);
  } else throw new Error(`not a KrnlValidator signature: mode ${mode} is neither plugin (${signatureModes.plugin}) nor enable (${signatureModes.enable})`);
  if (!(offset + 65 <= length)) throw new Error(`KrnlValidator signature of ${length} bytes: the owner's 65-byte signature is missing`);
  const ownerSignature = sliceHex(signature, offset, offset + 65);
  if (offset + 65 === length) return { mode: mode === signatureModes.plugin ? "plugin" : "enable", ownerSignature, attestation: undefined };
  const [responsesHash, nonce, expiry, kernelIds, kernelFees, nodeFee, signatures] = decodeAbiParameters(
    krnlAttestationAbi,
    sliceHex(signature, offset + 65),
  );
  return {
    mode: mode === signatureModes.plugin ? "plugin" : "enable",
    ownerSignature,
    attestation: { responsesHash, nonce, expiry, kernelIds: [...kernelIds], kernelFees: [...kernelFees], nodeFee, signatures },
  };
}
