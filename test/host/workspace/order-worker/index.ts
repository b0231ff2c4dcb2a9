// Order worker (SQS → Lambda): checks the orders table once per execution environment, then records each queued order.
/* eslint-disable @typescript-eslint/ban-ts-comment -- a sample project, checked against its own dependencies (@aws-sdk/*, @types/aws-lambda), which this repository does not install */
// @ts-nocheck
import { DescribeTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { SQSEvent, SQSBatchResponse } from 'aws-lambda';

const dynamodb = new DynamoDBClient({});
const table = process.env.ORDERS_TABLE ?? 'orders';
let tableChecked = false;

async function ensureTable(): Promise<void> {
  if (tableChecked) return;
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: table }));
  if (Table?.TableStatus !== 'ACTIVE') throw new Error(`table ${table} is ${Table?.TableStatus}`);
  tableChecked = true;
}

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  await ensureTable();
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const order = JSON.parse(record.body) as { id: string; total: number };
      await dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: `order#${order.id}` }, total: { N: String(order.total) }, status: { S: 'received' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      console.error('order failed', record.messageId, err);
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}
