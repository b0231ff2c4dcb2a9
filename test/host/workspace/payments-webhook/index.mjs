// Payments webhook: verifies the provider's signature with a secret from Secrets Manager and forwards the event to the provider's API.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createHmac, timingSafeEqual } from 'node:crypto';

const secrets = new SecretsManagerClient({});
const PROVIDER_API = 'https://api.payments-provider.example/v1/events';

let provider;

async function providerSecret() {
  provider ??= await secrets
    .send(new GetSecretValueCommand({ SecretId: process.env.PROVIDER_SECRET_ID }))
    .then((r) => JSON.parse(r.SecretString ?? '{}'));
  return provider;
}

function verified(body, signature, key) {
  const expected = createHmac('sha256', key).update(body).digest();
  const given = Buffer.from(signature ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export const handler = async (event) => {
  const { webhookKey, apiToken } = await providerSecret();
  if (!verified(event.body ?? '', event.headers?.['x-signature'], webhookKey)) {
    return { statusCode: 401, body: 'bad signature' };
  }
  const response = await fetch(PROVIDER_API, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
    body: event.body,
  });
  return { statusCode: response.ok ? 200 : 502, body: '' };
};
