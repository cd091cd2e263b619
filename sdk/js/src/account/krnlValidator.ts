// The account side of KRNL (docs/account-attestation.md): what an account installs in the
// KrnlValidator, the requirement the engine reads per selector, and the calls of the whole setup
// (bind the selector, register the account as its own app, fund its deposit), sent as one sudo op.
import { encodeAbiParameters, encodeFunctionData, toFunctionSelector, zeroAddress, type Address, type Hex } from "viem";
import { kernelRegistryAppAbi, krnlAccountAbi, krnlVaultDepositAbi } from "./abi.js";
import { krnlProtocolAddresses, krnlValidatorAddresses } from "./addresses.js";

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
