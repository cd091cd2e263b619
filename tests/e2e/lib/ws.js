// A small raw JSON-RPC WebSocket client: requests by id, and a queue of subscription notifications.
import WebSocket from 'ws';
import { wsUrl } from './env.js';

const TIMEOUT_MS = 10_000; // a bound on waiting, so a missing message fails the test instead of hanging

export async function openSocket() {
  const socket = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const pending = new Map();
  const messages = []; // everything that is not a reply to a request of ours
  const waiters = [];
  let nextId = 1;

  const deliver = () => {
    for (let i = 0; i < waiters.length; i++) {
      const w = waiters[i];
      const index = messages.findIndex(w.predicate);
      if (index >= 0) {
        const [m] = messages.splice(index, 1);
        waiters.splice(i--, 1);
        clearTimeout(w.timer);
        w.resolve(m);
      }
    }
  };

  socket.on('message', (data) => {
    let msg;
    try {
      msg = JSON.parse(data.toString());
    } catch {
      msg = { unparsable: data.toString() };
    }
    if (msg && !Array.isArray(msg) && msg.id !== undefined && msg.id !== null && pending.has(msg.id)) {
      pending.get(msg.id)(msg);
      pending.delete(msg.id);
      return;
    }
    messages.push(msg);
    deliver();
  });

  return {
    /** Sends one request and resolves with the whole response object. */
    request(method, params = []) {
      const id = nextId++;
      socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`ws ${method}: no reply`)), TIMEOUT_MS);
        pending.set(id, (m) => {
          clearTimeout(timer);
          resolve(m);
        });
      });
    },
    /** Sends raw text; the reply lands in the message queue (read it with next()). */
    sendRaw(text) {
      socket.send(text);
    },
    /** Resolves with the first queued message matching predicate (waiting for it if needed). */
    next(predicate = () => true, what = 'message') {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`ws: no ${what} within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
        waiters.push({ predicate, resolve, timer });
        deliver();
      });
    },
    /** Waits for the next notification of subscription `id`; resolves with its result. */
    async notification(id) {
      const m = await this.next((x) => x?.method === 'eth_subscription' && x.params?.subscription === id, `notification for ${id}`);
      return m.params.result;
    },
    /** Messages received and not yet taken. */
    queued: () => [...messages],
    close() {
      socket.close();
    },
  };
}
