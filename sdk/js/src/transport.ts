// One transport for a chain node and a separate krnl engine: krnl_* goes to the engine, everything else to
// the chain. krnld answers krnl_* on every chain port, so this is for chains served by another node
// (Hardhat, anvil, a provider) with krnld as the engine over them.
import { createTransport, http, type EIP1193RequestFn, type Transport } from "viem";

/** Where krnl_* goes: a viem transport, or the engine's HTTP URL. */
export type EngineTransport = Transport | string;

/** The engine as a transport (a URL becomes `http(url)`). */
export function engineTransportOf(engine: EngineTransport): Transport {
  return typeof engine === "string" ? http(engine) : engine;
}

/**
 * A transport that sends krnl_* methods to `engine` and every other method to `chain`. The result keeps the
 * chain transport's type and attributes (url, subscribe, ...), so viem treats it as the chain's; each side
 * keeps its own retry and timeout settings.
 */
export function krnlTransport<const chain extends Transport>(parameters: { chain: chain; engine: EngineTransport }): chain {
  const engine = engineTransportOf(parameters.engine);
  const routed: Transport = (options) => {
    const toChain = parameters.chain(options);
    const toEngine = engine(options);
    return createTransport(
      {
        key: "krnl",
        name: `KRNL (${toChain.config.name} + engine)`,
        type: toChain.config.type,
        // Each side retries on its own; retrying here too would multiply them.
        retryCount: 0,
        request: ((args: { method: string; params?: unknown }, requestOptions?: unknown) =>
          (args.method.startsWith("krnl_") ? toEngine : toChain).request(args as never, requestOptions as never)) as EIP1193RequestFn,
      },
      { ...(toChain.value ?? {}), engine: toEngine.value },
    );
  };
  return routed as chain;
}
