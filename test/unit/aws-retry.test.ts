// Throttling over the real wire: the client factory's adaptive retries ride it out, and past them the error says "throttled".
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SourceError } from '../../src/core/ports';
import { createClients } from '../../src/aws/clients';
import { fetchFunctions } from '../../src/aws/fetch';

/** A Lambda endpoint (REST-JSON) that answers 429 TooManyRequests `throttleFirst` times, then one function. */
let throttleFirst = 0;
let requests = 0;
let server: http.Server;
let endpoint = '';

before(async () => {
  server = http.createServer((req, res) => {
    requests++;
    req.resume();
    if (requests <= throttleFirst) {
      res.writeHead(429, { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' });
      res.end(JSON.stringify({ Type: 'User', message: 'Rate exceeded' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ Functions: [{ FunctionName: 'api', FunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:api' }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => server.close());

describe('throttling', () => {
  const clients = (maxAttempts: number) =>
    createClients({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts });

  test('two throttled answers, then success: the scan goes on, slower', async () => {
    requests = 0;
    throttleFirst = 2;
    const fns = await fetchFunctions(clients(4), new AbortController().signal);
    assert.deepEqual(
      fns.map((f) => f.FunctionName),
      ['api'],
    );
    assert.equal(requests, 3);
  });

  test('throttled past every retry: a SourceError of kind throttled naming the action', async () => {
    requests = 0;
    throttleFirst = 100;
    const err = await fetchFunctions(clients(2), new AbortController().signal).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(SourceError.is(err), String(err));
    assert.equal(err.kind, 'throttled');
    assert.match(err.message, /lambda:ListFunctions/);
    assert.equal(requests, 2);
  });
});
