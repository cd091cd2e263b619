// A local HTTP server (127.0.0.1, which the node's http_allowed_hosts lets http kernels reach) that answers
// well on /ok/<n> and badly everywhere else. Requests are counted per route so tests see the engine came.
import { createServer } from 'node:http';

/**
 * Routes:
 *   /ok/<n>            200 {"value": n, "label": "ok"}
 *   /hang              reads the request, never answers
 *   /drip              200 with a header at once, then a byte of body now and then, never complete
 *   /status/<code>     <code> with a JSON body
 *   /garbage           200 text/html that is not JSON
 *   /nopath            200 JSON without "value"
 *   /wrongtype         200 {"value": "not a number"}
 *   /negative          200 {"value": -5}
 *   /huge              200 JSON of about 256 KiB
 *   /loop              302 to itself
 *   /to-private        302 to http://10.0.0.1/secret
 *   /short             Content-Length larger than the body, then the connection closes
 */
export async function startHostileServer() {
  const hits = new Map();
  const targets = []; // every request target, as received
  const sockets = new Set();
  const timers = new Set();
  const server = createServer((req, res) => {
    targets.push({ target: req.url ?? '', headers: req.headers });
    const path = (req.url ?? '').split('?')[0];
    const route = path.split('/').slice(0, 2).join('/');
    hits.set(route, (hits.get(route) ?? 0) + 1);
    const json = (status, body) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    let m;
    if ((m = /^\/ok\/(\d{1,30})$/.exec(path))) return json(200, { value: Number(m[1]), label: 'ok' });
    if (path === '/hang') return; // the socket stays open until the client gives up
    if (path === '/drip') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"value": ');
      const timer = setInterval(() => res.write(' '), 50);
      timers.add(timer);
      res.on('close', () => {
        clearInterval(timer);
        timers.delete(timer);
      });
      return;
    }
    if ((m = /^\/status\/(\d{3})$/.exec(path))) return json(Number(m[1]), { error: 'the server failed' });
    if (path === '/garbage') return res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>not json</body></html>');
    if (path === '/nopath') return json(200, { other: 1, nested: { value: 2 } });
    if (path === '/wrongtype') return json(200, { value: 'not a number' });
    if (path === '/negative') return json(200, { value: -5 });
    if (path === '/huge') return json(200, { value: 1, padding: 'x'.repeat(256 * 1024) });
    if (path === '/loop') return res.writeHead(302, { location: '/loop' }).end();
    if (path === '/to-private') return res.writeHead(302, { location: 'http://10.0.0.1/secret' }).end();
    if (path === '/short') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
      res.write('{"value": 1');
      return setTimeout(() => res.socket?.destroy(), 20);
    }
    return json(404, { error: 'no such route' });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    hits: (route) => hits.get(route) ?? 0,
    /** The requests received so far: { target, headers }. */
    received: () => [...targets],
    async close() {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
