// Simulate, send, wait and name the revert: how the SDK writes to any contract, exported for the dApp's own
// contracts too. The ABI is merged with the KRNL contracts' errors, so a KRNL revert is named either way.
import {
  BaseError,
  ContractFunctionRevertedError,
  type Abi,
  type Account,
  type Address,
  type Chain,
  type Client,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hash,
  type Hex,
  type TransactionReceipt,
  type Transport,
} from "viem";
import { simulateContract, waitForTransactionReceipt, writeContract } from "viem/actions";
import { withKrnlErrors } from "./errors-abi.js";

type Mutability = "nonpayable" | "payable";
type WalletClient = Client<Transport, Chain | undefined, Account | undefined>;
type ReadClient = Client<Transport, Chain | undefined>;

/** Options every write takes. */
export interface WriteOptions {
  /** The sender; default the wallet client's account. */
  account?: Account | Address;
  /** Where simulations, receipts and reads go; default the wallet client. */
  publicClient?: ReadClient;
  /** Where krnl_* goes (the builders' krnl_nodeInfo for the registry and vault); default `publicClient`, else the wallet client. */
  engine?: Client;
}

/** A mined transaction. */
export interface Written {
  hash: Hash;
  receipt: TransactionReceipt;
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

/** The sender of a write: `account`, else the client's. */
export function senderOf(client: Client, account: Account | Address | undefined): Account | Address {
  const sender = account ?? client.account;
  if (!sender) throw new Error("an account is needed (give `account` or a wallet client with one)");
  return sender;
}

/** Waits for `hash` and throws KrnlCallRevertedError when it was mined reverted. */
export async function waitForSuccess(reader: ReadClient, hash: Hash): Promise<TransactionReceipt> {
  const receipt = await waitForTransactionReceipt(reader, { hash });
  if (receipt.status !== "success") throw new KrnlCallRevertedError(hash, receipt);
  return receipt;
}

/** What sendContractWrite takes: viem's contract call, the sender and where to read. */
export type ContractWriteParameters<
  abi extends Abi = Abi,
  functionName extends ContractFunctionName<abi, Mutability> = ContractFunctionName<abi, Mutability>,
> = Omit<WriteOptions, "engine"> & {
  address: Address;
  abi: abi;
  functionName: functionName;
  args?: ContractFunctionArgs<abi, Mutability, functionName> | undefined;
  value?: bigint | undefined;
  gas?: bigint | undefined;
};

/**
 * Simulates the call (a revert throws viem's ContractFunctionExecutionError naming the error, KRNL's
 * included: see {@link revertErrorOf}), sends it from the wallet client and waits for its receipt (on
 * `publicClient`, default the wallet client). Throws KrnlCallRevertedError if it is mined reverted.
 */
export async function sendContractWrite<const abi extends Abi, functionName extends ContractFunctionName<abi, Mutability>>(
  wallet: WalletClient,
  parameters: ContractWriteParameters<abi, functionName>,
): Promise<Written> {
  const { account, publicClient, abi, ...call } = parameters;
  const reader = publicClient ?? wallet;
  const sender = senderOf(wallet, account);
  const { request } = await simulateContract(reader, { ...call, abi: withKrnlErrors(abi as Abi), account: sender } as never);
  const hash = await writeContract(wallet, { ...(request as object), chain: wallet.chain ?? null } as never);
  return { hash, receipt: await waitForSuccess(reader, hash) };
}

/** A contract's revert: the error's name and arguments. */
export interface RevertError {
  /**
   * The error's name: a custom error's (e.g. `"NonceUsed"`), `"Error"` for a require message, `"Panic"` for a
   * panic; its 4-byte selector when the ABI lacks it; `""` for a revert without data.
   */
  name: string;
  args: readonly unknown[];
  /** The revert data as returned. */
  raw?: Hex | undefined;
}

/** The contract revert inside a viem error (e.g. from simulateContract or sendContractWrite), or undefined when there is none. */
export function revertErrorOf(error: unknown): RevertError | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return undefined;
  const raw = reverted.raw;
  if (reverted.data) return { name: reverted.data.errorName, args: reverted.data.args ?? [], raw };
  if (reverted.reason) return { name: "Error", args: [reverted.reason], raw };
  if (reverted.signature) return { name: reverted.signature, args: [], raw };
  return { name: "", args: [], raw };
}
