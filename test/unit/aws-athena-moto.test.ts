// The Athena query runner against moto_server's Athena, its answers seeded through moto's query-results API: the wire protocol, the header row, the flow rows, and a stop on cancel.
import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import {
  AthenaClient,
  CreateWorkGroupCommand,
  GetQueryExecutionCommand,
  ListQueryExecutionsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { flowRowsToAggregates } from '../../src/core/query-rows';
import { runAthenaQuery } from '../../src/aws/athena';
import { createClients } from '../../src/aws/clients';
import { motoSkipReason, startMoto, testCredentials, type MotoServer } from '../support/moto';

const REGION = 'us-east-1';
const COLUMNS = ['eni', 'remote', 'port', 'protocol', 'action', 'hour', 'service', 'flows', 'packets', 'bytes', 'first', 'last'];

describe('Athena against moto_server', { timeout: 120_000, skip: motoSkipReason() }, () => {
  let moto: MotoServer;

  before(async () => {
    moto = await startMoto();
  });
  after(async () => {
    await moto?.stop();
  });

  /** Queues one answer for the next query execution (moto hands them out in order). */
  async function seed(rows: string[][]): Promise<void> {
    const res = await fetch(`${moto.endpoint}/moto-api/static/athena/query-results`, {
      method: 'POST',
      body: JSON.stringify({
        account_id: '123456789012',
        region: REGION,
        results: [
          {
            rows: rows.map((r) => ({ Data: r.map((v) => ({ VarCharValue: v })) })),
            column_info: COLUMNS.map((Name) => ({ Name, Type: 'varchar', Label: Name })),
          },
        ],
      }),
    });
    assert.equal(res.status, 201);
  }

  test('a query in a workgroup: polled to SUCCEEDED, the header row taken off, the rows read as flow aggregates', async () => {
    const clients = createClients({ region: REGION, credentials: testCredentials, endpoint: moto.endpoint, maxAttempts: 2 });
    try {
      await clients.athena().send(
        new CreateWorkGroupCommand({
          Name: 'scans',
          Configuration: { ResultConfiguration: { OutputLocation: 's3://athena-results/scans/' } },
        }),
      );
      const hour = 490_000;
      await seed([
        COLUMNS,
        ['eni-1', '10.0.3.7', '22', '6', 'ACCEPT', String(hour), '', '3', '30', '3000', String(hour * 3600), String(hour * 3600 + 60)],
      ]);
      const answer = await runAthenaQuery(clients, 'SELECT 1', { database: 'flows', workgroup: 'scans' }, new AbortController().signal);
      assert.equal(answer.dataScannedBytes, 0);
      assert.deepEqual(flowRowsToAggregates(answer.rows), [
        {
          eniId: 'eni-1',
          remoteAddress: '10.0.3.7',
          remotePort: 22,
          protocol: 6,
          action: 'ACCEPT',
          hour: hour * 3_600_000,
          flows: 3,
          packets: 30,
          bytes: 3000,
          first: hour * 3_600_000,
          last: hour * 3_600_000 + 60_000,
        },
      ]);
      const ids = (await clients.athena().send(new ListQueryExecutionsCommand({ WorkGroup: 'scans' }))).QueryExecutionIds ?? [];
      assert.deepEqual(ids, [answer.queryExecutionId]);
      const execution = (await clients.athena().send(new GetQueryExecutionCommand({ QueryExecutionId: answer.queryExecutionId })))
        .QueryExecution;
      assert.equal(execution?.Query, 'SELECT 1');
      assert.equal(execution?.QueryExecutionContext?.Database, 'flows');
    } finally {
      clients.destroy();
    }
  });

  test('cancelled once moto has started it: the query is stopped (CANCELLED)', async () => {
    const clients = createClients({ region: REGION, credentials: testCredentials, endpoint: moto.endpoint, maxAttempts: 2 });
    const controller = new AbortController();
    try {
      // Cancelled as soon as StartQueryExecution is answered: the runner is then waiting for its first poll.
      const athena = clients.athena();
      const send = athena.send.bind(athena) as (command: unknown, options?: unknown) => Promise<unknown>;
      Object.assign(athena, {
        send: (command: unknown, options?: unknown) => {
          const sent = send(command, options);
          if (command instanceof StartQueryExecutionCommand) void sent.then(() => controller.abort(new Error('scan cancelled')));
          return sent;
        },
      });
      await assert.rejects(runAthenaQuery(clients, 'SELECT 2', { database: 'flows' }, controller.signal), /scan cancelled/);
      const ids =
        (
          await new AthenaClient({ region: REGION, credentials: testCredentials, endpoint: moto.endpoint }).send(
            new ListQueryExecutionsCommand({}),
          )
        ).QueryExecutionIds ?? [];
      const states = await Promise.all(
        ids.map(async (QueryExecutionId) => {
          const e = (await clients.athena().send(new GetQueryExecutionCommand({ QueryExecutionId }))).QueryExecution;
          return `${e?.Query} ${e?.Status?.State}`;
        }),
      );
      assert.ok(states.includes('SELECT 2 CANCELLED'), states.join(', '));
    } finally {
      clients.destroy();
    }
  });
});
