// Types for the pure-rand subpaths we use: the package ships them only behind "exports", which the project's node10 module resolution cannot see.
declare module 'pure-rand/generator/xoroshiro128plus' {
  export interface PureRandomGenerator {
    clone(): PureRandomGenerator;
    next(): number;
    getState(): readonly number[];
  }
  export function xoroshiro128plus(seed: number): PureRandomGenerator;
}

declare module 'pure-rand/distribution/uniformInt' {
  import type { PureRandomGenerator } from 'pure-rand/generator/xoroshiro128plus';
  export function uniformInt(rng: PureRandomGenerator, from: number, to: number): number;
}

declare module 'pure-rand/distribution/uniformFloat64' {
  import type { PureRandomGenerator } from 'pure-rand/generator/xoroshiro128plus';
  export function uniformFloat64(rng: PureRandomGenerator): number;
}
