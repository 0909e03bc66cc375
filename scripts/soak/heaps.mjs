// For `SOAK_HEAPS=1 npm run soak`: every isolate of the local workerd process through its V8
// inspector (our worker's and Miniflare's own: the Cache API, R2 and the entry worker), to tell a
// process that keeps memory from a worker that does. `collect()` runs a garbage collection in each
// and reads its JS heap afterwards.
import WebSocket from 'ws';

/** Connects to every isolate the inspector on `port` lists but those named in `skip`. `nudge`
 *  makes the isolates run (an inspector command is answered when its isolate next runs, so an
 *  idle one needs a request). */
export async function inspectIsolates(port, nudge, skip = []) {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()).filter((t) => !skip.includes(t.id));
  const pending = new Map();
  let id = 0;
  const isolates = [];
  for (const target of targets) {
    const ws = new WebSocket(target.webSocketDebuggerUrl);
    ws.on('message', (m) => {
      const reply = JSON.parse(String(m));
      pending.get(reply.id)?.(reply);
      pending.delete(reply.id);
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    isolates.push({ name: target.id, ws });
  }
  // Sends `method` and waits for its answer, nudging meanwhile; null after about 2 s (an isolate
  // that the nudge does not reach, such as an R2 bucket nobody reads then).
  async function call(ws, method) {
    let answered = false;
    const reply = new Promise((resolve) => {
      pending.set(++id, resolve);
      ws.send(JSON.stringify({ id, method }));
    }).then((r) => ((answered = true), r));
    for (let i = 0; i < 20 && !answered; i++) {
      await Promise.race([reply, nudge()]);
      if (!answered) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return answered ? reply : null;
  }
  return {
    /** { isolate name: MB of JS heap in use after a collection, or null when it did not answer }. */
    async collect() {
      const heaps = {};
      for (const { name, ws } of isolates) {
        await call(ws, 'HeapProfiler.collectGarbage');
        const usage = await call(ws, 'Runtime.getHeapUsage');
        heaps[name] = usage?.result ? usage.result.usedSize / 2 ** 20 : null;
      }
      return heaps;
    },
    close() {
      for (const { ws } of isolates) ws.close();
    },
  };
}
