// EIP-7702: an EOA that delegates to AccountV08 is a krnl account at its own address, whose built-in
// root signer is the EOA's own key until it chooses another. The EOA signs one authorization; the
// bundler carries it in the first user operation (initCode 0x7702).
import { type Address, type Chain, type Client, type Hex, type LocalAccount, type SignedAuthorization, type Transport } from "viem";
import { getChainId, getCode, getTransactionCount } from "viem/actions";
import { krnlAccountDeployments } from "./addresses.js";

/** The implementation an EOA delegates to: AccountV08 (EntryPoint v0.8 carries 7702 authorizations). */
export const krnlDelegationAddress: Address = krnlAccountDeployments["0.8"].implementation;

/** An EOA key that can sign EIP-7702 authorizations (privateKeyToAccount, mnemonicToAccount). */
export type DelegatingOwner = Pick<LocalAccount, "address" | "signMessage" | "signTypedData"> & {
  signAuthorization: NonNullable<LocalAccount["signAuthorization"]>;
};

/**
 * Signs the EOA's authorization to delegate to the krnl account implementation, for the chain of
 * `client` and the EOA's current nonce (the bundler, not the EOA, sends the transaction). Pass it as
 * `authorization` to the first sendUserOperation.
 */
export async function signKrnlAuthorization(
  client: Client<Transport, Chain | undefined>,
  p: { owner: DelegatingOwner; implementation?: Address | undefined; nonce?: number | undefined },
): Promise<SignedAuthorization> {
  const chainId = client.chain?.id ?? (await getChainId(client));
  const nonce = p.nonce ?? (await getTransactionCount(client, { address: p.owner.address, blockTag: "pending" }));
  return p.owner.signAuthorization({ address: p.implementation ?? krnlDelegationAddress, chainId, nonce });
}

/** The code of an EOA delegating to `implementation`: the designator 0xef0100 || address. */
export function delegationDesignator(implementation: Address = krnlDelegationAddress): Hex {
  return `0xef0100${implementation.slice(2).toLowerCase()}`;
}

/** Whether `address` is an EOA currently delegating to the krnl account implementation. */
export async function isDelegatedToKrnl(
  client: Client<Transport, Chain | undefined>,
  p: { address: Address; implementation?: Address | undefined },
): Promise<boolean> {
  const code = await getCode(client, { address: p.address });
  return code?.toLowerCase() === delegationDesignator(p.implementation);
}
