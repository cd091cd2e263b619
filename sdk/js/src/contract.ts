// Calling a KrnlConsumer app function: run its kernels for exactly this call (app, sender, function,
// arguments), append the signed payload as the last argument, then simulate or send. The call's ABI is
// merged with the KRNL contracts' errors, so a revert names KrnlConsumer's, TokenAuthority's, the vault's
// or the registry's error (WrongSender, NonceUsed, InsufficientDeposit, ...).
import type {
  Abi,
  Account,
  Address,
  Chain,
  Client,
  ContractFunctionArgs,
  ContractFunctionName,
  Hash,
  TransactionReceipt,
  Transport,
} from "viem";
import { parseAccount } from "viem/accounts";
import { simulateContract, waitForTransactionReceipt, writeContract } from "viem/actions";
import { executeKernels } from "./actions.js";
import { encodeKrnlCall } from "./call.js";
import { abis } from "./generated/artifacts.js";
import { decodePayload } from "./payload.js";
import type { DecodedPayload, KernelCall, KernelExecution } from "./types.js";

type AbiError = Extract<Abi[number], { type: "error" }>;
type Mutability = "nonpayable" | "payable";
type WithoutLast<T> = T extends readonly [...infer Head, unknown] ? Head : readonly unknown[];

/** The arguments of an app function before its payload parameter. */
export type ArgsWithoutPayload<abi extends Abi, functionName extends ContractFunctionName<abi, Mutability>> = WithoutLast<
  ContractFunctionArgs<abi, Mutability, functionName>
>;

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

/** What simulateContractWithKrnl and writeContractWithKrnl take. */
export interface KrnlContractParameters<
  abi extends Abi = Abi,
  functionName extends ContractFunctionName<abi, Mutability> = ContractFunctionName<abi, Mutability>,
> {
  /** The app (a KrnlConsumer). */
  address: Address;
  abi: abi;
  functionName: functionName;
  /** The arguments before the payload. */
  args: ArgsWithoutPayload<abi, functionName>;
  /** The kernels to run for this call. */
  kernels: readonly KernelCall[];
  /** The caller (`msg.sender`, the payload's sender); default the client's account. */
  account?: Account | Address;
  value?: bigint;
  gas?: bigint;
  /** Where krnl_* goes; default the client itself (krnld answers krnl_* on every chain port). */
  engine?: Client;
}

/** The simulated call with its payload appended, ready for `writeContract`. */
export interface KrnlSimulation {
  /** viem's request: the call with the payload as last argument. */
  request: {
    address: Address;
    abi: Abi;
    functionName: string;
    args: readonly unknown[];
    account: Account | Address;
    value?: bigint;
    gas?: bigint;
    chain?: Chain | null;
  };
  /** The function's return value in the simulation. */
  result: unknown;
  execution: KernelExecution;
  payload: DecodedPayload;
}

function callerOf(client: Client, account: Account | Address | undefined): Account | Address {
  const caller = account ?? client.account;
  if (!caller) throw new Error("an account is needed: the payload is bound to the caller (give `account` or a client with one)");
  return caller;
}

/**
 * Runs the kernels for this call (app = `address`, sender = the account, function = the ABI function's
 * signature, args = abi.encode of `args`), appends the payload and simulates the call. A contract revert
 * throws viem's ContractFunctionExecutionError naming the KRNL error; an engine refusal throws its KrnlError.
 */
export async function simulateContractWithKrnl<
  const abi extends Abi,
  functionName extends ContractFunctionName<abi, Mutability>,
>(client: Client<Transport, Chain | undefined>, parameters: KrnlContractParameters<abi, functionName>): Promise<KrnlSimulation> {
  const caller = callerOf(client, parameters.account);
  const args = parameters.args as readonly unknown[];
  const call = encodeKrnlCall(parameters.abi, parameters.functionName, args);
  const execution = await executeKernels(parameters.engine ?? client, {
    app: parameters.address,
    sender: parseAccount(caller).address,
    function: call.function,
    args: call.args,
    kernels: parameters.kernels,
    ...(client.chain ? { chainId: client.chain.id } : {}),
  });
  const request = {
    address: parameters.address,
    abi: withKrnlErrors(parameters.abi) as Abi,
    functionName: parameters.functionName as string,
    args: [...args, execution.payload],
    account: caller,
    ...(parameters.value !== undefined ? { value: parameters.value } : {}),
    ...(parameters.gas !== undefined ? { gas: parameters.gas } : {}),
  };
  const simulated = await simulateContract(client, request as never);
  return { request: { ...request, chain: client.chain ?? null }, result: (simulated as { result: unknown }).result, execution, payload: decodePayload(execution.payload) };
}

/** A sent call that was mined but reverted (the simulation passed, the chain moved on in between). */
export class KrnlCallRevertedError extends Error {
  override name = "KrnlCallRevertedError";
  constructor(
    readonly hash: Hash,
    readonly receipt: TransactionReceipt,
  ) {
    super(`transaction ${hash} reverted in block ${receipt.blockNumber}`);
  }
}

/** What writeContractWithKrnl returns. */
export interface KrnlWrite {
  hash: Hash;
  receipt: TransactionReceipt;
  execution: KernelExecution;
  payload: DecodedPayload;
}

/**
 * simulateContractWithKrnl, then sends the call from the wallet and waits for its receipt (on `publicClient`,
 * default the wallet client). Throws KrnlCallRevertedError if it is mined reverted.
 */
export async function writeContractWithKrnl<
  const abi extends Abi,
  functionName extends ContractFunctionName<abi, Mutability>,
>(
  walletClient: Client<Transport, Chain | undefined, Account | undefined>,
  parameters: KrnlContractParameters<abi, functionName> & { publicClient?: Client<Transport, Chain | undefined> },
): Promise<KrnlWrite> {
  const caller = callerOf(walletClient, parameters.account);
  const reader = parameters.publicClient ?? walletClient;
  const simulation = await simulateContractWithKrnl(reader, { ...parameters, account: caller, engine: parameters.engine ?? reader });
  const hash = await writeContract(walletClient, simulation.request as never);
  const receipt = await waitForTransactionReceipt(reader, { hash });
  if (receipt.status !== "success") throw new KrnlCallRevertedError(hash, receipt);
  return { hash, receipt, execution: simulation.execution, payload: simulation.payload };
}
