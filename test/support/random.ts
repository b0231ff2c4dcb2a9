// Seeded randomness for tests: the generator's own PRNG (pure-rand), so "random" inputs are the same in every run.
import { Rng } from '../../src/gen/random';

/** Uniform numbers in [0, 1) from a seed. */
export function seeded(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.float();
}

export function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** A Poisson draw: Knuth for small means, a normal approximation beyond. */
export function poissonSample(mu: number, rand: () => number): number {
  if (mu > 60) return Math.max(0, Math.round(mu + Math.sqrt(mu) * gaussian(rand)));
  const l = Math.exp(-mu);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rand();
  } while (p > l);
  return k - 1;
}
