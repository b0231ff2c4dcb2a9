// Image resizer: resizes product images on request, with its limits from SSM and a Redis cache in front of the internal media API.
'use strict';
const { SSMClient, GetParameterCommand } = require('@aws-sdk/client-ssm');
const { createClient } = require('redis');

const ssm = new SSMClient({});
let limits;
let cache;

async function setup() {
  if (!limits) {
    const r = await ssm.send(new GetParameterCommand({ Name: `/media/${process.env.STAGE}/resizer` }));
    limits = JSON.parse(r.Parameter?.Value ?? '{}');
  }
  if (!cache) {
    cache = createClient({ url: limits.cacheUrl });
    await cache.connect();
  }
}

exports.handler = async (event) => {
  await setup();
  const width = Math.min(Number(event.width) || 800, limits.maxWidth ?? 2048);
  const cacheKey = `resized:${event.key}:${width}`;
  const hit = await cache.get(cacheKey);
  if (hit) return { url: hit, cached: true };
  const response = await fetch(`${limits.renderApi}/resize`, { method: 'POST', body: JSON.stringify({ key: event.key, width }) });
  const { url } = await response.json();
  await cache.set(cacheKey, url, { EX: 3600 });
  return { url, cached: false };
};
