// What a .vsix holds, read from the zip's central directory (no unzip binary or zip library needed on the machine).
'use strict';
const fs = require('node:fs');
const zlib = require('node:zlib');

/**
 * Every entry of the zip file, with a read() that inflates its content.
 * @returns {{ name: string, size: number, compressed: number, read: () => Buffer }[]}
 */
function vsixEntries(file) {
  const buf = fs.readFileSync(file);
  // The end-of-central-directory record sits in the last 22 bytes plus at most a 64 KiB comment.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file} is not a zip file (no end of central directory)`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: bad central directory entry ${n}`);
    const method = buf.readUInt16LE(at + 10);
    const compressed = buf.readUInt32LE(at + 20);
    const size = buf.readUInt32LE(at + 24);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLength);
    const read = () => {
      if (buf.readUInt32LE(local) !== 0x04034b50) throw new Error(`${file}: bad local header for ${name}`);
      const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
      const data = buf.subarray(start, start + compressed);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return zlib.inflateRawSync(data);
      throw new Error(`${file}: ${name} uses zip method ${method}`);
    };
    entries.push({ name, size, compressed, read });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

module.exports = { vsixEntries };
