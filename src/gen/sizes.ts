// How big one connection is, by what it talks to: request and response packets and bytes, and how long it lasts.
import type { PeerKind } from './model';

export interface SizeProfile {
  reqPackets: readonly [number, number];
  reqBytesPerPacket: readonly [number, number];
  respPackets: readonly [number, number];
  respBytesPerPacket: readonly [number, number];
  /** Seconds from first to last packet within the aggregation interval. */
  duration: readonly [number, number];
}

const DB: SizeProfile = {
  reqPackets: [3, 25],
  reqBytesPerPacket: [60, 220],
  respPackets: [3, 30],
  respBytesPerPacket: [90, 1200],
  duration: [0, 45],
};
const CACHE: SizeProfile = {
  reqPackets: [2, 40],
  reqBytesPerPacket: [52, 400],
  respPackets: [2, 40],
  respBytesPerPacket: [80, 1400],
  duration: [0, 50],
};
const HTTPS: SizeProfile = {
  reqPackets: [5, 40],
  reqBytesPerPacket: [80, 320],
  respPackets: [5, 45],
  respBytesPerPacket: [200, 1400],
  duration: [0, 60],
};

export const SIZES: Record<PeerKind, SizeProfile> = {
  postgres: DB,
  mysql: DB,
  redis: CACHE,
  vpce: HTTPS,
  alb: HTTPS,
  saas: HTTPS,
  ec2: { reqPackets: [4, 40], reqBytesPerPacket: [90, 1200], respPackets: [4, 40], respBytesPerPacket: [90, 1400], duration: [2, 55] },
  internet: HTTPS,
  s3: HTTPS,
  dynamodb: HTTPS,
};

/** A function shipping data out: large requests, small answers. */
export const EXFIL: SizeProfile = {
  reqPackets: [200, 2500],
  reqBytesPerPacket: [900, 1460],
  respPackets: [20, 200],
  respBytesPerPacket: [52, 80],
  duration: [5, 58],
};

/** A connection attempt the security group drops: SYN retries only, no answer. */
export const REJECTED: SizeProfile = {
  reqPackets: [1, 3],
  reqBytesPerPacket: [60, 60],
  respPackets: [0, 0],
  respBytesPerPacket: [0, 0],
  duration: [0, 7],
};
