// A loopback proxy in front of moto_server that injects AWS faults per IAM action in each service's real wire protocol, and answers what moto cannot (LookupEvents, Logs Insights) with recorded shapes.
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * - throttle / denied / expired: the error each service really sends (query XML, EC2 XML, JSON 1.1,
 *   JSON 1.0 with awsQuery compatibility, REST-JSON), with its real HTTP status.
 * - reset: the connection is destroyed before any answer (ECONNRESET / socket hang up).
 * - stall: a 200 with headers and half a body, then silence (a socket timeout mid-response).
 * - hang: the request is read and never answered (until the client gives up or aborts).
 */
export type Fault = 'throttle' | 'denied' | 'expired' | 'reset' | 'stall' | 'hang';

export interface FaultRule {
  /** An IAM action (`logs:StartQuery`), or `*` for every request. */
  action: string;
  fault: Fault;
  /** Requests matching this rule that pass before it starts to fault (default 0). */
  after?: number;
  /** How many matching requests fault (default: all that follow). */
  times?: number;
}

export interface ProxyCall {
  action: string;
  fault?: Fault;
  /** The client closed the connection before an answer was written (an aborted or timed-out request). */
  abandoned: boolean;
}

/**
 * One test's view of the proxy: its requests are those signed with its access key id, so tests can run
 * at the same time against one proxy and one moto.
 */
export interface Tenant {
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Matched in order, the first rule that applies decides. */
  rules: FaultRule[];
  calls: ProxyCall[];
  /** How GetQueryResults answers: `Complete` (no rows) by default; `Running` never completes. */
  insightsStatus: 'Complete' | 'Running' | 'Timeout' | 'Cancelled' | 'Failed';
  /** LookupEvents pages per username (default 1). */
  trailPages: number;
  /** Called when a request arrives, with its action (after it was counted). */
  onRequest?: (action: string) => void;
  count(action: string): number;
}

export interface FaultProxy {
  endpoint: string;
  /** A fresh tenant; its access key id is `name`, which must be unique. */
  tenant(name: string, rules?: FaultRule[]): Tenant;
  /** Resolves once every request in flight has ended (hung ones included, once their client left). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

type Wire = 'query' | 'ec2' | 'json' | 'json-query' | 'rest-json';

const WIRE: Record<string, Wire> = {
  sts: 'query',
  ec2: 'ec2',
  logs: 'json',
  cloudtrail: 'json',
  monitoring: 'json-query',
  lambda: 'rest-json',
};
const IAM_PREFIX: Record<string, string> = { monitoring: 'cloudwatch' };

/** The IAM action of a signed SDK request: the service from the SigV4 credential scope, the operation from the protocol. */
export function actionOf(req: http.IncomingMessage, body: string): string {
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(String(req.headers.authorization ?? ''));
  const service = scope?.[1] ?? 'unknown';
  const prefix = IAM_PREFIX[service] ?? service;
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return `${prefix}:${target.split('.').pop()}`;
  if (service === 'lambda') {
    const url = req.url ?? '';
    if (/^\/2015-03-31\/functions\/?(\?|$)/.test(url)) return 'lambda:ListFunctions';
    if (/^\/2017-03-31\/tags\//.test(url)) return 'lambda:ListTags';
    return `lambda:${req.method} ${url.split('?')[0]}`;
  }
  const op = new URLSearchParams(body).get('Action');
  return `${prefix}:${op ?? 'unknown'}`;
}

interface WireError {
  status: number;
  code: string;
  message: string;
}

function wireError(service: string, fault: 'throttle' | 'denied' | 'expired', action: string): WireError {
  const user = 'arn:aws:sts::123456789012:assumed-role/dev/someone';
  const deniedMessage = `User: ${user} is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`;
  const expiredMessage = 'The security token included in the request is expired';
  const table: Record<string, Record<typeof fault, WireError>> = {
    sts: {
      throttle: { status: 400, code: 'Throttling', message: 'Rate exceeded' },
      denied: { status: 403, code: 'AccessDenied', message: deniedMessage },
      expired: { status: 403, code: 'ExpiredToken', message: expiredMessage },
    },
    ec2: {
      throttle: { status: 503, code: 'RequestLimitExceeded', message: 'Request limit exceeded.' },
      denied: { status: 403, code: 'UnauthorizedOperation', message: `You are not authorized to perform this operation. ${deniedMessage}` },
      expired: { status: 400, code: 'RequestExpired', message: 'Request has expired.' },
    },
    logs: {
      throttle: { status: 400, code: 'ThrottlingException', message: 'Rate exceeded' },
      denied: { status: 400, code: 'AccessDeniedException', message: deniedMessage },
      expired: { status: 400, code: 'ExpiredTokenException', message: expiredMessage },
    },
    cloudtrail: {
      throttle: { status: 400, code: 'ThrottlingException', message: 'Rate exceeded' },
      denied: { status: 400, code: 'AccessDeniedException', message: deniedMessage },
      expired: { status: 400, code: 'ExpiredTokenException', message: expiredMessage },
    },
    monitoring: {
      throttle: { status: 400, code: 'Throttling', message: 'Rate exceeded' },
      denied: { status: 403, code: 'AccessDenied', message: deniedMessage },
      expired: { status: 403, code: 'ExpiredToken', message: expiredMessage },
    },
    lambda: {
      throttle: { status: 429, code: 'TooManyRequestsException', message: 'Rate exceeded' },
      denied: { status: 403, code: 'AccessDeniedException', message: deniedMessage },
      expired: { status: 403, code: 'ExpiredTokenException', message: expiredMessage },
    },
  };
  return table[service]?.[fault] ?? { status: 400, code: 'UnknownOperationException', message: `no fault table for ${service}` };
}

function writeError(res: http.ServerResponse, service: string, err: WireError): void {
  const requestId = randomUUID();
  const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  switch (WIRE[service]) {
    case 'query':
      res.writeHead(err.status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
      res.end(
        `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${err.code}</Code><Message>${xml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
      return;
    case 'ec2':
      res.writeHead(err.status, { 'content-type': 'text/xml;charset=UTF-8' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${err.code}</Code><Message>${xml(err.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
      );
      return;
    case 'json':
      res.writeHead(err.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId });
      res.end(JSON.stringify({ __type: err.code, message: err.message }));
      return;
    case 'json-query':
      // CloudWatch speaks JSON 1.0 with awsQuery compatibility: the query-era code travels in a header.
      res.writeHead(err.status, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': requestId,
        'x-amzn-query-error': `${err.code};Sender`,
      });
      res.end(JSON.stringify({ __type: `com.amazonaws.cloudwatch#${err.code}`, message: err.message }));
      return;
    default:
      res.writeHead(err.status, {
        'content-type': 'application/json',
        'x-amzn-requestid': requestId,
        'x-amzn-errortype': `${err.code}:http://internal.amazon.com/coral/com.amazonaws.awslambda/`,
      });
      res.end(JSON.stringify({ Type: 'User', message: err.message }));
  }
}

function serviceOf(action: string): string {
  const prefix = action.split(':')[0];
  return prefix === 'cloudwatch' ? 'monitoring' : prefix;
}

/** LookupEvents for a username, in `pages` pages (more than one lets a fault land between them). */
function lookupEvents(body: string, pages: number): unknown {
  const input = JSON.parse(body || '{}') as { LookupAttributes?: Array<{ AttributeValue?: string }>; NextToken?: string };
  const page = input.NextToken ? Number(input.NextToken.split('#').pop()) : 1;
  const user = input.LookupAttributes?.[0]?.AttributeValue ?? 'someone';
  const t = Math.floor(Date.now() / 1000) - 3600;
  const event = (n: number) => ({
    EventId: randomUUID(),
    EventName: n === 1 ? 'GetObject' : 'DescribeTable',
    EventSource: n === 1 ? 's3.amazonaws.com' : 'dynamodb.amazonaws.com',
    EventTime: t,
    Username: user,
    ReadOnly: 'true',
    CloudTrailEvent: JSON.stringify({
      eventVersion: '1.08',
      eventName: n === 1 ? 'GetObject' : 'DescribeTable',
      eventSource: n === 1 ? 's3.amazonaws.com' : 'dynamodb.amazonaws.com',
      eventTime: new Date(t * 1000).toISOString(),
      userAgent: 'aws-sdk-nodejs',
      awsRegion: 'us-east-1',
      userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::123456789012:assumed-role/${user}-role/${user}` },
    }),
  });
  return { Events: [event(page === 1 ? 1 : 2)], ...(page < pages ? { NextToken: `${user}#${page + 1}` } : {}) };
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true });
  const sockets = new Set<Socket>();
  let inFlight = 0;
  let idleWaiters: Array<() => void> = [];
  const matched = new Map<FaultRule, number>();
  const tenants = new Map<string, Tenant>();
  const makeTenant = (name: string, rules: FaultRule[] = []): Tenant => {
    const t: Tenant = {
      credentials: { accessKeyId: name, secretAccessKey: 'testing' },
      rules,
      calls: [],
      insightsStatus: 'Complete',
      trailPages: 1,
      count: (action) => t.calls.filter((c) => c.action === action).length,
    };
    tenants.set(name, t);
    return t;
  };
  const fallback = makeTenant('testing');

  const proxy: FaultProxy = {
    endpoint: '',
    tenant: (name, rules) => {
      if (tenants.has(name)) throw new Error(`tenant ${name} exists`);
      return makeTenant(name, rules);
    },
    idle: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r))),
    stop: async () => {
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  const faultFor = (tenant: Tenant, action: string): Fault | undefined => {
    for (const rule of tenant.rules) {
      if (rule.action !== '*' && rule.action !== action) continue;
      const n = matched.get(rule) ?? 0;
      matched.set(rule, n + 1);
      const after = rule.after ?? 0;
      if (n < after) continue;
      if (rule.times !== undefined && n >= after + rule.times) continue;
      return rule.fault;
    }
    return undefined;
  };

  const server = http.createServer((req, res) => {
    inFlight++;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      if (--inFlight === 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const w of waiters) w();
      }
    };
    res.on('close', finish);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const action = actionOf(req, body);
      const key = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
      const tenant = tenants.get(key) ?? fallback;
      const fault = faultFor(tenant, action);
      const record: ProxyCall = { action, ...(fault ? { fault } : {}), abandoned: false };
      tenant.calls.push(record);
      res.on('close', () => {
        if (!res.writableFinished) record.abandoned = true;
      });
      tenant.onRequest?.(action);
      const service = serviceOf(action);
      if (fault === 'throttle' || fault === 'denied' || fault === 'expired')
        return writeError(res, service, wireError(service, fault, action));
      if (fault === 'reset') return req.socket.destroy();
      if (fault === 'hang') return;
      if (fault === 'stall') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
        res.write('{"partial": "');
        return;
      }
      if (action === 'cloudtrail:LookupEvents') return json(res, lookupEvents(body, tenant.trailPages));
      if (action === 'logs:StartQuery') return json(res, { queryId: randomUUID() });
      if (action === 'logs:GetQueryResults') {
        return json(res, {
          status: tenant.insightsStatus,
          results: [],
          statistics: { recordsMatched: 0, recordsScanned: 0, bytesScanned: 0 },
        });
      }
      if (action === 'logs:StopQuery') return json(res, { success: true });
      forward(req, Buffer.concat(chunks), res);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  function json(res: http.ServerResponse, value: unknown): void {
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify(value));
  }

  function forward(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const up = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
        agent,
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    up.end(body);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
