// The live backend's ip-ranges document against a local HTTP server: downloaded, cached a day, refreshed, fallen back on, refused when malformed.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createClients } from '../../src/aws/clients';
import { loadIpRanges, noIpRangesNotice, parseIpRanges, IP_RANGES_MAX_AGE_MS, type AwsIpRangesFile } from '../../src/aws/ip-ranges';
import { AwsSource } from '../../src/aws/source';
import { AwsIpRanges } from '../../src/core/inventory/resources';

const HOUR = 3_600_000;
const NO_DOCUMENT = /^no ip-ranges document: .+; AWS service addresses cannot be told from external ones$/;

function doc(syncToken: string): AwsIpRangesFile {
  return {
    syncToken,
    createDate: '2026-11-20-10-04-12',
    prefixes: [
      { ip_prefix: '52.216.0.0/15', region: 'us-east-1', service: 'AMAZON' },
      { ip_prefix: '52.216.0.0/15', region: 'us-east-1', service: 'S3' },
      { ip_prefix: '3.5.0.0/19', region: 'eu-west-1', service: 'S3' },
    ],
    ipv6_prefixes: [{ ipv6_prefix: '2600:1f18::/33', region: 'us-east-1', service: 'EC2' }],
  };
}

/** What the server answers next: a document, an HTTP status, a body, or nothing at all (it hangs). */
type Answer = { document: AwsIpRangesFile } | { status: number } | { body: string } | { redirect: string } | 'hang';

let server: http.Server;
let base: string;
let answer: Answer;
let requests: string[];

before(async () => {
  server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    if (answer === 'hang') return; // never answers: the client's timeout or cancellation must end it
    if ('redirect' in answer && req.url === '/moved') {
      res.writeHead(302, { location: answer.redirect }).end();
      return;
    }
    if ('status' in answer) res.writeHead(answer.status).end('unavailable');
    else
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('body' in answer ? answer.body : JSON.stringify('document' in answer ? answer.document : doc('redirected')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

let cacheDir: string;
beforeEach(() => {
  answer = { document: doc('1') };
  requests = [];
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-ip-ranges-'));
});

const signal = () => new AbortController().signal;

function cacheFiles(): string[] {
  return fs.readdirSync(cacheDir);
}

/** A URL nothing listens on: a server opened and closed again. */
async function deadUrl(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}/ip-ranges.json`;
}

describe('loadIpRanges from a URL', () => {
  test('downloads the document, checks it and keeps a copy in the cache directory', async () => {
    const url = `${base}/ip-ranges.json`;
    const loaded = await loadIpRanges({ location: url, cacheDir }, signal());
    assert.deepEqual(loaded.document, doc('1'));
    assert.equal(loaded.from, url);
    assert.deepEqual(loaded.notices, []);
    assert.deepEqual(requests, ['/ip-ranges.json']);
    const files = cacheFiles();
    assert.equal(files.length, 1, 'one cache file, no temporary file left behind');
    assert.match(files[0], /^ip-ranges-[0-9a-f]{16}\.json$/, "a URL other than AWS's has a cache file of its own");
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(cacheDir, files[0]), 'utf8')), doc('1'));
    // What the engine makes of it: the S3 prefix wins over AMAZON's identical one.
    assert.deepEqual(new AwsIpRanges(loaded.document).lookup('52.217.4.9'), { service: 'S3', region: 'us-east-1' });
  });

  test('the cached copy answers within a day, without asking the server', async () => {
    const url = `${base}/ip-ranges.json`;
    const first = Date.now();
    await loadIpRanges({ location: url, cacheDir, clock: () => first }, signal());
    answer = { document: doc('2') };
    const later = await loadIpRanges({ location: url, cacheDir, clock: () => first + 23 * HOUR }, signal());
    assert.equal(later.document?.syncToken, '1');
    assert.equal(later.from, path.join(cacheDir, cacheFiles()[0]));
    assert.deepEqual(later.notices, []);
    assert.equal(requests.length, 1);
  });

  test("a copy downloaded more than a day ago (by the file's time, not createDate) is downloaded again", async () => {
    const url = `${base}/ip-ranges.json`;
    await loadIpRanges({ location: url, cacheDir }, signal());
    const file = path.join(cacheDir, cacheFiles()[0]);
    const dayAndMinuteAgo = new Date(Date.now() - IP_RANGES_MAX_AGE_MS - 60_000);
    fs.utimesSync(file, dayAndMinuteAgo, dayAndMinuteAgo);
    answer = { document: doc('2') };
    const refreshed = await loadIpRanges({ location: url, cacheDir }, signal());
    assert.equal(refreshed.document?.syncToken, '2');
    assert.equal(requests.length, 2);
    assert.deepEqual(refreshed.notices, []);
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).syncToken, '2', 'the cache holds the new copy');
    assert.ok(fs.statSync(file).mtimeMs > dayAndMinuteAgo.getTime() + IP_RANGES_MAX_AGE_MS / 2, "its time is the new download's");
  });

  test('server down with a stale copy cached: the copy is used, and a notice says so', async () => {
    const url = `${base}/ip-ranges.json`;
    await loadIpRanges({ location: url, cacheDir }, signal());
    const file = path.join(cacheDir, cacheFiles()[0]);
    // Whole seconds: what every file system keeps of a modification time.
    const twoDaysAgo = new Date(Math.floor((Date.now() - 2 * IP_RANGES_MAX_AGE_MS) / 1000) * 1000);
    fs.utimesSync(file, twoDaysAgo, twoDaysAgo);
    for (const down of [{ status: 503 }, 'hang'] as const) {
      answer = down;
      const loaded = await loadIpRanges({ location: url, cacheDir, timeoutMs: 200 }, signal());
      assert.equal(loaded.document?.syncToken, '1');
      assert.equal(loaded.from, file);
      assert.equal(loaded.notices.length, 1);
      assert.match(loaded.notices[0], /^ip-ranges: could not refresh \(http:\/\/127\.0\.0\.1:\d+\/ip-ranges\.json: /);
      assert.ok(loaded.notices[0].includes(down === 'hang' ? 'no answer within 0.2 s' : 'HTTP 503'), loaded.notices[0]);
      assert.ok(loaded.notices[0].includes(twoDaysAgo.toISOString()), 'says how old the copy is');
    }
  });

  test('no cache and nothing listening: no document, and the notice says why', async () => {
    const url = await deadUrl();
    const loaded = await loadIpRanges({ location: url, cacheDir }, signal());
    assert.equal(loaded.document, undefined);
    assert.equal(loaded.notices.length, 1);
    assert.match(loaded.notices[0], NO_DOCUMENT);
    assert.ok(loaded.notices[0].includes(`${url}: `), loaded.notices[0]);
    assert.match(loaded.notices[0], /ECONNREFUSED/);
    assert.deepEqual(cacheFiles(), []);
  });

  test('a malformed document is refused with the URL and what is wrong, and never cached', async () => {
    const url = `${base}/ip-ranges.json`;
    const cases: Array<[string, RegExp]> = [
      ['<html>gateway error</html>', /not JSON/],
      ['[]', /not a JSON object/],
      [JSON.stringify({ ...doc('1'), syncToken: 7 }), /"syncToken" must be a string/],
      [JSON.stringify({ syncToken: '1', createDate: 'x' }), /"prefixes" must be an array/],
      [JSON.stringify({ ...doc('1'), ipv6_prefixes: {} }), /"ipv6_prefixes" must be an array/],
      [
        JSON.stringify({ ...doc('1'), prefixes: [{ ip_prefix: '1.2.3.0/24', region: 'us-east-1' }] }),
        /prefixes\[0\]\.service must be a string/,
      ],
    ];
    for (const [body, why] of cases) {
      answer = { body };
      const loaded = await loadIpRanges({ location: url, cacheDir }, signal());
      assert.equal(loaded.document, undefined, body);
      assert.match(loaded.notices[0], NO_DOCUMENT);
      assert.ok(loaded.notices[0].startsWith(`no ip-ranges document: ${url}: not AWS's ip-ranges document (`), loaded.notices[0]);
      assert.match(loaded.notices[0], why);
    }
    assert.deepEqual(cacheFiles(), []);
  });

  test('a corrupt cache file is downloaded over; with the server down as well, both are named', async () => {
    const url = `${base}/ip-ranges.json`;
    await loadIpRanges({ location: url, cacheDir }, signal());
    const file = path.join(cacheDir, cacheFiles()[0]);
    fs.writeFileSync(file, '{"syncToken": "1", trunc');
    answer = { status: 500 };
    const none = await loadIpRanges({ location: url, cacheDir }, signal());
    assert.equal(none.document, undefined);
    assert.match(none.notices[0], NO_DOCUMENT);
    assert.ok(
      none.notices[0].includes('HTTP 500') &&
        none.notices[0].includes(`the cached copy is unusable (${file}: not AWS's ip-ranges document`),
      none.notices[0],
    );
    answer = { document: doc('3') };
    assert.equal((await loadIpRanges({ location: url, cacheDir }, signal())).document?.syncToken, '3');
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).syncToken, '3');
  });

  test('follows a redirect', async () => {
    answer = { redirect: '/ip-ranges.json' };
    const loaded = await loadIpRanges({ location: `${base}/moved`, cacheDir }, signal());
    assert.equal(loaded.document?.syncToken, 'redirected');
    assert.deepEqual(requests, ['/moved', '/ip-ranges.json']);
  });

  test('a cancelled load rejects with the reason at once, whatever the server does', async () => {
    answer = 'hang';
    const controller = new AbortController();
    const started = Date.now();
    const loading = loadIpRanges({ location: `${base}/ip-ranges.json`, cacheDir }, controller.signal);
    setTimeout(() => controller.abort(new Error('scan cancelled')), 50);
    await assert.rejects(loading, /scan cancelled/);
    assert.ok(Date.now() - started < 5_000, 'well before the 10 s timeout');
    await assert.rejects(
      loadIpRanges({ location: `${base}/ip-ranges.json` }, AbortSignal.abort(new Error('already cancelled'))),
      /already cancelled/,
    );
    assert.deepEqual(cacheFiles(), []);
  });

  test('without a cache directory every load downloads', async () => {
    const url = `${base}/ip-ranges.json`;
    await loadIpRanges({ location: url }, signal());
    await loadIpRanges({ location: url }, signal());
    assert.equal(requests.length, 2);
  });
});

describe('loadIpRanges from a file', () => {
  test('a path or a file: URL is read as it is, never cached', async () => {
    const file = path.join(cacheDir, 'mine', 'ranges.json');
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, JSON.stringify(doc('file')));
    for (const location of [file, pathToFileURL(file).href]) {
      const loaded = await loadIpRanges({ location, cacheDir }, signal());
      assert.equal(loaded.document?.syncToken, 'file');
      assert.equal(loaded.from, file);
      assert.deepEqual(loaded.notices, []);
    }
    assert.deepEqual(cacheFiles(), ['mine']);
    assert.deepEqual(requests, []);
  });

  test('a missing or malformed file: no document, the notice names the file', async () => {
    const missing = path.join(cacheDir, 'nope.json');
    const gone = await loadIpRanges({ location: missing }, signal());
    assert.equal(gone.document, undefined);
    assert.match(gone.notices[0], NO_DOCUMENT);
    assert.ok(gone.notices[0].includes(`${missing}: ENOENT`), gone.notices[0]);
    const bad = path.join(cacheDir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ prefixes: [] }));
    const refused = await loadIpRanges({ location: bad }, signal());
    assert.ok(
      refused.notices[0].startsWith(`no ip-ranges document: ${bad}: not AWS's ip-ranges document ("syncToken" must be a string)`),
      refused.notices[0],
    );
  });
});

test('parseIpRanges keeps what the engine reads and the version stamp, nothing else', () => {
  const parsed = parseIpRanges(
    JSON.stringify({ ...doc('1'), extra: 'x', prefixes: [{ ...doc('1').prefixes[0], network_border_group: 'us-east-1' }] }),
    'here',
  );
  assert.deepEqual(parsed, { ...doc('1'), prefixes: [doc('1').prefixes[0]] });
  assert.deepEqual(parseIpRanges(JSON.stringify({ syncToken: '1', createDate: 'd', prefixes: [] }), 'here').ipv6_prefixes, []);
  assert.equal(noIpRangesNotice('why'), 'no ip-ranges document: why; AWS service addresses cannot be told from external ones');
});

describe('AwsSource.ipRanges', () => {
  test('hands the engine the document, once per source', async () => {
    const source = new AwsSource(createClients({ region: 'us-east-1' }), { ipRanges: { location: `${base}/ip-ranges.json`, cacheDir } });
    try {
      assert.equal((await source.ipRanges(signal()))?.syncToken, '1');
      assert.equal((await source.ipRanges(signal()))?.syncToken, '1');
      assert.equal(requests.length, 1);
      assert.deepEqual(source.takeNotices(), []);
    } finally {
      source.dispose();
    }
  });

  test("no document: undefined, and the notice the report's warnings carry", async () => {
    const heard: string[] = [];
    const source = new AwsSource(createClients({ region: 'us-east-1' }), {
      ipRanges: { location: await deadUrl(), cacheDir },
      onNotice: (m) => heard.push(m),
    });
    try {
      assert.equal(await source.ipRanges(signal()), undefined);
      const notices = source.takeNotices();
      assert.equal(notices.length, 1);
      assert.match(notices[0], NO_DOCUMENT);
      assert.deepEqual(heard, notices);
    } finally {
      source.dispose();
    }
  });

  test('a cancelled first load is not remembered: the next scan tries again', async () => {
    const source = new AwsSource(createClients({ region: 'us-east-1' }), { ipRanges: { location: `${base}/ip-ranges.json`, cacheDir } });
    try {
      await assert.rejects(source.ipRanges(AbortSignal.abort(new Error('cancelled'))), /cancelled/);
      assert.equal((await source.ipRanges(signal()))?.syncToken, '1');
    } finally {
      source.dispose();
    }
  });
});
