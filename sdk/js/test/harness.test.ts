import { test } from "node:test";
import assert from "node:assert/strict";
import { createPublicClient, http } from "viem";
import { startDevNode } from "./support/krnld.js";

test("the harness starts krnld with three chains", async () => {
  const node = await startDevNode();
  try {
    for (const c of node.chains) {
      const client = createPublicClient({ chain: c.chain, transport: http(c.url) });
      assert.equal(await client.getChainId(), c.chainId);
    }
  } finally {
    await node.stop();
  }
});
