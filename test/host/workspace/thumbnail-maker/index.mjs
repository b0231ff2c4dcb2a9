// Thumbnail maker: renders thumbnails of uploaded images, with its settings from SSM and a Redis cache of what it already rendered.
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { createClient } from 'redis';

const ssm = new SSMClient({});
let settings;
let cache;

async function setup() {
  settings ??= await ssm
    .send(new GetParameterCommand({ Name: `/media/${process.env.STAGE}/thumbnails` }))
    .then((r) => JSON.parse(r.Parameter?.Value ?? '{}'));
  if (!cache) {
    cache = createClient({ url: settings.cacheUrl });
    await cache.connect();
  }
}

export const handler = async (event) => {
  await setup();
  const results = [];
  for (const record of event.Records ?? []) {
    const key = record.s3?.object?.key;
    if (!key || (await cache.get(`thumb:${key}`))) continue;
    // Rendering is done by the internal media API behind the load balancer.
    const response = await fetch(`${settings.renderApi}/thumbnails`, { method: 'POST', body: JSON.stringify({ key, sizes: settings.sizes }) });
    if (response.ok) await cache.set(`thumb:${key}`, '1', { EX: 86400 });
    results.push({ key, status: response.status });
  }
  return results;
};
