// `DATABASE.TABLE` as the user types it for an Athena table (a CLI option, a setting): one reader for both.

export interface AthenaTableName {
  database: string;
  table: string;
}

/** Undefined when `text` is not `DATABASE.TABLE` (Glue names: letters, digits, `_` and `-`). */
export function parseAthenaTableName(text: string): AthenaTableName | undefined {
  const m = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(text.trim());
  return m ? { database: m[1], table: m[2] } : undefined;
}

/** A CloudTrail Lake event data store: its id (a UUID) or ARN. */
export function isEventDataStore(text: string): boolean {
  return /^(arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:eventdatastore\/)?[A-Za-z0-9-]{1,64}$/.test(text.trim());
}
