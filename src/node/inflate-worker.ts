// The inflating thread of a gzip file parsed on the thread that started it (src/node/flow-workers.ts, inflatedInThread):
// inflates the file into a few buffers that go back and forth, transferred, so that the text never becomes an allocation
// on that thread (each buffer zlib hands out would count towards a collection of its whole heap). Imports nothing of the
// engine: it starts in a few milliseconds.
import { parentPort } from 'node:worker_threads';
import type { InflateBackRequest, TextReply } from './flow-protocol';
import { gunzipFile } from './gzip-object';

/** Buffers the thread this one inflates for has read and sent back, and a fill waiting for one. */
const refills: ArrayBuffer[] = [];
let refilled: (() => void) | undefined;

/** The gzip file inflated into `buffers` buffers of `bufferBytes`, each sent (transferred) when full, and at the end. */
async function inflateBack(file: string, bufferBytes: number, buffers: number): Promise<void> {
  for (let i = 0; i < buffers; i++) refills.push(new ArrayBuffer(bufferBytes));
  let buffer: Uint8Array | undefined;
  let used = 0;
  const send = () => {
    parentPort?.postMessage({ type: 'text', buffer: buffer!.buffer as ArrayBuffer, length: used } satisfies TextReply, [
      buffer!.buffer as ArrayBuffer,
    ]);
    buffer = undefined;
    used = 0;
  };
  let stoppedEarly: string | undefined;
  try {
    for await (const chunk of gunzipFile(file) as AsyncIterable<Buffer>) {
      for (let at = 0; at < chunk.length;) {
        if (!buffer) {
          while (!refills.length) await new Promise<void>((r) => (refilled = r));
          buffer = new Uint8Array(refills.shift()!);
        }
        const n = Math.min(buffer.length - used, chunk.length - at);
        buffer.set(chunk.subarray(at, at + n), used);
        used += n;
        at += n;
        if (used === buffer.length) send();
      }
    }
  } catch (err) {
    // A truncated or corrupt file: what was read is kept, as the engine keeps it from a raw stream.
    stoppedEarly = (err as Error).message;
  }
  if (used > 0) send();
  parentPort?.postMessage({ type: 'text-end', ...(stoppedEarly !== undefined ? { stoppedEarly } : {}) } satisfies TextReply);
}

parentPort?.on('message', (request: InflateBackRequest) => {
  if (request.type === 'refill') {
    refills.push(request.buffer);
    refilled?.();
    return;
  }
  inflateBack(request.file, request.bufferBytes, request.buffers).catch((err: unknown) =>
    parentPort?.postMessage({ type: 'text-end', stoppedEarly: (err as Error).message } satisfies TextReply),
  );
});
