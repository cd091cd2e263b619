// Where the KernelRegistry and KrnlVault are: given, else the node's (krnl_nodeInfo, once per client),
// else the genesis predeploys.
import type { Address, Client } from "viem";
import { nodeInfo } from "./actions.js";
import { predeploys } from "./generated/artifacts.js";
import type { NodeInfo } from "./types.js";

const infos = new WeakMap<Client, Promise<NodeInfo | undefined>>();

/** krnl_nodeInfo of this client, asked once; undefined when the node does not answer it (not a krnl engine). */
export function cachedNodeInfo(client: Client): Promise<NodeInfo | undefined> {
  let info = infos.get(client);
  if (!info) {
    info = nodeInfo(client).catch(() => undefined);
    infos.set(client, info);
  }
  return info;
}

/** The KernelRegistry to use. */
export async function registryAddress(client: Client, given?: Address): Promise<Address> {
  return given ?? (await cachedNodeInfo(client))?.registry ?? predeploys.KernelRegistry;
}

/** The KrnlVault to use. */
export async function vaultAddress(client: Client, given?: Address): Promise<Address> {
  return given ?? (await cachedNodeInfo(client))?.vault ?? predeploys.KrnlVault;
}
