// Where the account contracts live: the canonical EntryPoints and krnld's genesis predeploys (their
// addresses follow the contracts' code, so they come from the generated build, never typed by hand).
import type { Address } from "viem";
import { entryPoint07Abi, entryPoint08Abi } from "viem/account-abstraction";
import { predeploys } from "../generated/artifacts.js";

/** The EntryPoint versions krnl accounts exist for. */
export type KrnlEntryPointVersion = "0.7" | "0.8";

/** What each EntryPoint version pairs with: its address and ABI, the account factory and implementation. */
export const krnlAccountDeployments = {
  "0.7": {
    entryPoint: predeploys.EntryPointV07 as Address,
    entryPointAbi: entryPoint07Abi,
    factory: predeploys.AccountFactoryV07 as Address,
    implementation: predeploys.AccountV07 as Address,
  },
  "0.8": {
    entryPoint: predeploys.EntryPointV08 as Address,
    entryPointAbi: entryPoint08Abi,
    factory: predeploys.AccountFactoryV08 as Address,
    implementation: predeploys.AccountV08 as Address,
  },
} as const;

/** The validator predeploys an account can bind to a selector (plugin and enable modes). */
export const krnlValidatorAddresses = {
  ecdsa: predeploys.ECDSAValidator as Address,
  passkey: predeploys.PasskeyValidator as Address,
  sessionKey: predeploys.SessionKeyValidator as Address,
  krnl: predeploys.KrnlValidator as Address,
} as const;

/** KernelRegistry and KrnlVault predeploys (an account registers as an app and deposits there). */
export const krnlProtocolAddresses = {
  registry: predeploys.KernelRegistry as Address,
  vault: predeploys.KrnlVault as Address,
} as const;
