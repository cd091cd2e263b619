// The SDK suite's harness: krnld with the three dev chains of config/dev.toml on free ports, the ten
// dev accounts of the test mnemonic and automine. Every test file starts its own node, so files run
// in parallel without sharing state.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineChain, type Chain } from "viem";
import { mnemonicToAccount, type HDAccount } from "viem/accounts";

/** The repository root (this file is built to sdk/js/build-test/test/support). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../..");
export const KRNLD = process.env["KRNLD"] ?? join(repoRoot, "build/src/node/krnld");
export const MNEMONIC = "test test test test test test test test test test test junk";

export const DEV_CHAINS = [
  { name: "home", chainId: 31337 },
  { name: "rwa", chainId: 31338 },
  { name: "did", chainId: 31339 },
] as const;

export interface NodeChain {
  name: string;
  chainId: number;
  port: number;
  url: string;
  chain: Chain;
}

export interface DevNode {
  chains: NodeChain[];
  /** The home chain (31337): registry, vault and engine live here. */
  home: NodeChain;
  log(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** 0: automine. */
  blockTimeMs?: number;
  /** Added to every [[chains]] table. */
  chainExtra?: string;
  /** Appended to the TOML as is ([engine], [bundler], ...). */
  extra?: string;
  readyTimeoutMs?: number;
}

/** Dev account `i` of the test mnemonic. */
export const devAccount = (i: number): HDAccount => mnemonicToAccount(MNEMONIC, { addressIndex: i });

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => res(port));
    });
  });
}

function toml(ports: number[], o: StartOptions): string {
  const chains = DEV_CHAINS.map(
    (c, i) => `[[chains]]
name = "${c.name}"
chain_id = ${c.chainId}
port = ${ports[i]}
gas_limit = 30000000
base_fee = 1000000000
block_time_ms = ${o.blockTimeMs ?? 0}
${o.chainExtra ?? ""}
`,
  ).join("\n");
  return `[node]
host = "127.0.0.1"
mnemonic = "${MNEMONIC}"
dev_accounts = 10
dev_balance_eth = 10000

${chains}
${o.extra ?? ""}
`;
}

async function answers(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1_000),
    });
    const body = (await r.json()) as { result?: string };
    return typeof body.result === "string";
  } catch {
    return false;
  }
}

/** Starts krnld on free ports and resolves once every chain answers eth_chainId. */
export async function startDevNode(o: StartOptions = {}): Promise<DevNode> {
  const ports: number[] = [];
  for (let i = 0; i < DEV_CHAINS.length; i++) ports.push(await freePort());
  const dir = mkdtempSync(join(tmpdir(), "krnl-sdk."));
  const configFile = join(dir, "krnld.toml");
  writeFileSync(configFile, toml(ports, o));
  let output = "";
  const proc: ChildProcess = spawn(KRNLD, ["--config", configFile], { stdio: ["ignore", "pipe", "pipe"] });
  proc.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  let exited: string | undefined;
  const exit = new Promise<void>((res) => {
    proc.once("exit", (code, signal) => {
      exited ??= `code ${code} signal ${signal}`;
      res();
    });
    proc.once("error", (e) => {
      exited ??= String(e);
      res();
    });
  });
  const chains: NodeChain[] = DEV_CHAINS.map((c, i) => {
    const port = ports[i] as number;
    const url = `http://127.0.0.1:${port}`;
    const chain = defineChain({
      id: c.chainId,
      name: `krnl-${c.name}`,
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [url] } },
    });
    return { name: c.name, chainId: c.chainId, port, url, chain };
  });
  const node: DevNode = {
    chains,
    home: chains[0] as NodeChain,
    log: () => output,
    async stop() {
      if (exited === undefined) {
        proc.kill("SIGTERM");
        const t = setTimeout(() => proc.kill("SIGKILL"), 8_000);
        await exit;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + (o.readyTimeoutMs ?? 30_000);
  for (const c of chains) {
    while (!(await answers(c.url))) {
      if (exited !== undefined) throw new Error(`krnld (${KRNLD}) exited (${exited}) before answering:\n${output}`);
      if (Date.now() > deadline) {
        await node.stop();
        throw new Error(`krnld did not answer on ${c.url} in time:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return node;
}
