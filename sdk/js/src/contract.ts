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
  GetValue,
  Hash,
  TransactionReceipt,
  Transport,
} from "viem";
import { parseAccount } from "viem/accounts";
import { simulateContract, writeContract } from "viem/actions";
import { executeKernels } from "./actions.js";
import { encodeKrnlCall } from "./call.js";
import { withKrnlErrors } from "./errors-abi.js";
import { decodePayload } from "./payload.js";
import type { DecodedPayload, KernelCall, KernelExecution } from "./types.js";
import { senderOf, waitForSuccess } from "./write.js";

export { krnlErrorsAbi, withKrnlErrors } from "./errors-abi.js";
export { KrnlCallRevertedError } from "./write.js";

type Mutability = "nonpayable" | "payable";
type WithoutLast<T> = T extends readonly [...infer Head, unknown] ? Head : readonly unknown[];

/** The arguments of an app function before its payload parameter. */
export type ArgsWithoutPayload<abi extends Abi, functionName extends ContractFunctionName<abi, Mutability>> = WithoutLast<
  ContractFunctionArgs<abi, Mutability, functionName>
>;

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
  /** Where krnl_* goes; default the client itself (krnld answers krnl_* on every chain port; see createKrnlClient's `engine`). */
  engine?: Client;
}

/** The call simulated with its payload appended: `request` goes to viem's writeContract or simulateContract as is. */
export interface KrnlSimulation<
  abi extends Abi = Abi,
  functionName extends ContractFunctionName<abi, Mutability> = ContractFunctionName<abi, Mutability>,
> {
  /** viem's request: the call with the payload as last argument and the ABI with the KRNL errors; no `chain` (the client's is used). */
  request: {
    address: Address;
    abi: abi;
    functionName: functionName;
    args: ContractFunctionArgs<abi, Mutability, functionName>;
    account: Account | Address;
    gas?: bigint;
  } & GetValue<abi, functionName>;
  /** The function's return value in the simulation. */
  result: unknown;
  execution: KernelExecution;
  payload: DecodedPayload;
}

/**
 * Runs the kernels for this call (app = `address`, sender = the account, function = the ABI function's
 * signature, args = abi.encode of `args`), appends the payload and simulates the call. A contract revert
 * throws viem's ContractFunctionExecutionError naming the KRNL error (see revertErrorOf); an engine refusal
 * throws its KrnlError.
 */
export async function simulateContractWithKrnl<
  const abi extends Abi,
  functionName extends ContractFunctionName<abi, Mutability>,
>(
  client: Client<Transport, Chain | undefined>,
  parameters: KrnlContractParameters<abi, functionName>,
): Promise<KrnlSimulation<abi, functionName>> {
  const caller = senderOf(client, parameters.account);
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
  const request: KrnlSimulation<abi, functionName>["request"] = {
    address: parameters.address,
    abi: withKrnlErrors(parameters.abi),
    functionName: parameters.functionName,
    args: [...args, execution.payload] as unknown as ContractFunctionArgs<abi, Mutability, functionName>,
    account: caller,
    ...(parameters.value !== undefined ? ({ value: parameters.value } as GetValue<abi, functionName>) : {}),
    ...(parameters.gas !== undefined ? { gas: parameters.gas } : {}),
  };
  const simulated = await simulateContract(client, request as never);
  return { request, result: (simulated as { result: unknown }).result, execution, payload: decodePayload(execution.payload) };
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
  const caller = senderOf(walletClient, parameters.account);
  const reader = parameters.publicClient ?? walletClient;
  const simulation = await simulateContractWithKrnl(reader, { ...parameters, account: caller, engine: parameters.engine ?? reader });
  const hash = await writeContract(walletClient, { ...simulation.request, chain: walletClient.chain ?? null } as never);
  const receipt = await waitForSuccess(reader, hash);
  return { hash, receipt, execution: simulation.execution, payload: simulation.payload };
}
