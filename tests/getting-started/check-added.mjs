// node check-added.mjs URL TX_HASH APP: exit 0 when the transaction succeeded and the app emitted
// Added(sender, 41, 42) in it, the sender being the transaction's; otherwise names what differs.
import { createPublicClient, http, parseAbi, parseEventLogs, isAddressEqual } from 'viem';

const [url, hash, app] = process.argv.slice(2);
const client = createPublicClient({ transport: http(url) });
const receipt = await client.getTransactionReceipt({ hash });
const abi = parseAbi(['event Added(address indexed sender, uint256 amount, uint256 kernelResult)']);
const added = parseEventLogs({ abi, logs: receipt.logs }).filter((log) => isAddressEqual(log.address, app));
const problems = [];
if (receipt.status !== 'success') problems.push(`status ${receipt.status}`);
if (added.length !== 1) problems.push(`${added.length} Added events from ${app}`);
const event = added[0];
if (event && !isAddressEqual(event.args.sender, receipt.from)) problems.push(`sender ${event.args.sender}, not ${receipt.from}`);
if (event && event.args.amount !== 41n) problems.push(`amount ${event.args.amount}`);
if (event && event.args.kernelResult !== 42n) problems.push(`kernel result ${event.args.kernelResult}`);
if (problems.length) {
  console.log(`# ${hash}: ${problems.join('; ')}`);
  process.exit(1);
}
