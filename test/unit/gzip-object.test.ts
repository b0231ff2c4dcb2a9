// A gzip flow-log object's text, inflated at once (synchronously when small) or streamed: the same text whatever its size, the text before any damage kept, a failed download said after it.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { GZIP_AT_ONCE_MAX_BYTES, gzipObjectText, openedAhead, type GzipObject } from '../../src/node/gzip-object';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gzip-object-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Text that compresses to about `compressed` bytes (random hex lines: about half their size). */
function textOf(compressed: number): Buffer {
  const lines: string[] = [];
  for (let n = 0; n < compressed * 2; n += 65) lines.push(randomBytes(32).toString('hex'));
  return Buffer.from(lines.join('\n') + '\n');
}

async function read(object: GzipObject): Promise<{ text: Buffer; error?: string }> {
  const parts: Buffer[] = [];
  try {
    for await (const chunk of gzipObjectText(object)) parts.push(Buffer.from(chunk));
  } catch (err) {
    return { text: Buffer.concat(parts), error: (err as Error).message };
  }
  return { text: Buffer.concat(parts) };
}

describe('the text of a gzip object', () => {
  // Synchronous (under 256 KiB), at once on libuv's pool (under 4 MiB), streamed (larger).
  for (const [what, size] of [
    ['small', 20_000],
    ['middling', 600_000],
    ['large', GZIP_AT_ONCE_MAX_BYTES + 300_000],
  ] as const) {
    test(`${what} (about ${size} bytes compressed): the whole text, from a file, from bytes and from a stream`, async () => {
      const text = textOf(size);
      const gz = zlib.gzipSync(text);
      const file = path.join(dir, `${what}.log.gz`);
      fs.writeFileSync(file, gz);
      for (const object of [{ file }, { file, size: gz.length }, { bytes: new Uint8Array(gz) }, { stream: Readable.from([gz]) }]) {
        const got = await read(object);
        assert.equal(got.error, undefined);
        assert.ok(got.text.equals(text), `${what}: ${Object.keys(object).join(', ')}`);
      }
    });

    test(`${what}, truncated: the text before the cut, then zlib's error; a failed download: the same, then its own error`, async () => {
      const text = textOf(size);
      const gz = zlib.gzipSync(text);
      const cut = gz.subarray(0, Math.floor(gz.length * 0.6));
      const file = path.join(dir, `${what}-cut.log.gz`);
      fs.writeFileSync(file, cut);
      const fromFile = await read({ file });
      assert.equal(fromFile.error, 'unexpected end of file');
      assert.ok(fromFile.text.length > text.length * 0.4, `${fromFile.text.length} of ${text.length}`);
      assert.ok(text.subarray(0, fromFile.text.length).equals(fromFile.text));
      const download = await read({ bytes: new Uint8Array(cut), failed: 'socket hang up' });
      assert.equal(download.error, 'socket hang up');
      assert.ok(download.text.equals(fromFile.text));
      // A download that failed after its last byte: the whole text, then the failure.
      const whole = await read({ bytes: new Uint8Array(gz), failed: 'socket hang up' });
      assert.equal(whole.error, 'socket hang up');
      assert.ok(whole.text.equals(text));
    });
  }

  test('a text inflated at once comes a MiB at a time, the event loop turning between (a live scan runs on the host thread)', async () => {
    const text = textOf(1_000_000);
    let turns = 0;
    let chunks = 0;
    for await (const chunk of gzipObjectText({ bytes: new Uint8Array(zlib.gzipSync(text)) })) {
      assert.equal(turns, chunks, 'a turn before every chunk but the first');
      assert.ok(chunk.length <= 1024 * 1024);
      chunks++;
      setImmediate(() => turns++);
    }
    assert.ok(chunks >= 2, `${chunks} chunks`);
  });

  test('not gzip at all: no text, and zlib says why', async () => {
    const got = await read({ bytes: new Uint8Array(Buffer.from('2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n')) });
    assert.equal(got.error, 'incorrect header check');
    assert.equal(got.text.length, 0);
  });
});

describe('objects opened ahead', () => {
  test('come in order, with at most `ahead` of the next ones opened meanwhile', async () => {
    const opened: number[] = [];
    const taken: number[] = [];
    for await (const [item, value] of openedAhead([0, 1, 2, 3, 4, 5, 6], 2, async (i) => {
      opened.push(i);
      await new Promise((r) => setTimeout(r, (7 - i) * 2));
      return i * 10;
    })) {
      assert.equal(value, item * 10);
      taken.push(item);
      // Taking item i: items up to i + 2 were opened, none further.
      assert.ok(opened.length <= item + 3, `took ${item} with ${opened.length} opened`);
    }
    assert.deepEqual(taken, [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(opened, [0, 1, 2, 3, 4, 5, 6]);
  });
});
