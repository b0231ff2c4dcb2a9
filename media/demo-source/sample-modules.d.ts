// The demo's sample source is read, never built or installed: these shorthand declarations keep an editor opened on it
// free of "cannot find module" errors without shipping node_modules (every import from them is typed `any`).
declare module '@aws-sdk/client-dynamodb';
declare module '@aws-sdk/client-iam';
declare module '@aws-sdk/client-s3';
declare module '@aws-sdk/client-secrets-manager';
declare module '@aws-sdk/client-ssm';
declare module 'aws-lambda' {
  export type APIGatewayProxyEventV2 = any;
  export type APIGatewayProxyResultV2 = any;
  export type SQSEvent = any;
  export type SQSBatchResponse = any;
}
declare module 'node:crypto';
declare const process: { env: Record<string, string | undefined> };
declare const console: { log(...args: unknown[]): void; error(...args: unknown[]): void; warn(...args: unknown[]): void };
