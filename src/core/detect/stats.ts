// Significance tests for counts: Poisson tails, with over-dispersion from the baseline, so that small and large volumes both get sound answers.

/** ln(k!) by Stirling's series past a small table; exact enough for tail probabilities. */
function logFactorial(k: number): number {
  if (k < 2) return 0;
  if (k < 30) {
    let s = 0;
    for (let i = 2; i <= k; i++) s += Math.log(i);
    return s;
  }
  return k * Math.log(k) - k + 0.5 * Math.log(2 * Math.PI * k) + 1 / (12 * k) - 1 / (360 * k ** 3);
}

/** Standard normal upper tail, P(Z ≥ z) (Abramowitz–Stegun 7.1.26 through erfc). */
export function normalUpperTail(z: number): number {
  if (z < 0) return 1 - normalUpperTail(-z);
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return 0.5 * poly * Math.exp(-x * x);
}

/** P(X ≥ k) for X ~ Poisson(lambda). */
export function poissonUpperTail(k: number, lambda: number): number {
  if (k <= 0) return 1;
  if (lambda <= 0) return 0;
  if (lambda > 500) return normalUpperTail((k - 0.5 - lambda) / Math.sqrt(lambda));
  if (k === Infinity) return 0;
  // Sum the pmf from k upwards in log space; terms fall geometrically once past lambda. The steps are counted, not
  // the count itself: past 2^53, i + 1 is i again, and a loop on i never ended.
  let sum = 0;
  let logTerm = k * Math.log(lambda) - lambda - logFactorial(k);
  // Only a count so large that k·ln λ and ln k! both overflow gives NaN here: far past lambda, the tail is nothing.
  if (Number.isNaN(logTerm)) return 0;
  for (let step = 0; step < 2000; step++) {
    const i = k + step;
    const term = Math.exp(logTerm);
    sum += term;
    if ((term < sum * 1e-12 || term === 0) && i > lambda) break;
    logTerm += Math.log(lambda) - Math.log(i + 1);
  }
  return Math.min(1, sum);
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * P(X ≥ x) when X has mean `mean` and extra-Poisson dispersion `phi` (variance mean + phi·mean²): the
 * negative binomial tail, which is the Poisson tail when phi is 0. More dispersion always widens the tail.
 */
/** A bound on summed terms: with sd ≤ 2000 the mass lies within far fewer. */
const MAX_TERMS = 1_000_000;

export function countUpperTail(x: number, mean: number, phi: number): number {
  const k0 = Math.ceil(x);
  if (phi <= 1e-9 || mean <= 0) return poissonUpperTail(k0, Math.max(mean, 0));
  if (k0 <= 0) return 1;
  const sd = Math.sqrt(mean + phi * mean * mean);
  // Past a few thousand standard-deviation-wide terms, summing is slow and the normal shape is exact enough.
  if (sd > 2000) return normalUpperTail((k0 - 0.5 - mean) / sd);
  const r = 1 / phi;
  const logP = Math.log(r / (r + mean));
  const log1mP = Math.log(mean / (r + mean));
  const logPmf = (k: number) => logGamma(k + r) - logGamma(r) - logGamma(k + 1) + r * logP + k * log1mP;
  if (k0 <= mean) {
    // At or below the mean the upper tail is most of the mass: 1 minus the lower tail, summed downwards.
    let lower = 0;
    let logTerm = logPmf(k0 - 1);
    for (let step = 0, k = k0 - 1; step < MAX_TERMS && k >= 0; step++, k = k0 - 1 - step) {
      const term = Math.exp(logTerm);
      lower += term;
      if (term <= lower * 1e-12) break;
      logTerm += Math.log(k / ((k - 1 + r) * (mean / (r + mean))));
    }
    return Math.min(1, Math.max(0, 1 - lower));
  }
  // Above the mean the terms only fall: stop once they no longer matter (or underflow to nothing).
  if (k0 === Infinity) return 0;
  let sum = 0;
  let logTerm = logPmf(k0);
  // As in poissonUpperTail: NaN only when the count's gamma terms overflow, far above the mean.
  if (Number.isNaN(logTerm)) return 0;
  for (let step = 0, k = k0; step < MAX_TERMS; step++, k = k0 + step) {
    const term = Math.exp(logTerm);
    sum += term;
    if (term <= sum * 1e-12) break;
    logTerm += Math.log((k + r) / (k + 1)) + log1mP;
  }
  return Math.min(1, sum);
}

/**
 * The dispersion of hourly counts around their time-of-day means: phi in variance = mean + phi·mean².
 * Method of moments over all baseline hours, never below 0.
 */
export function dispersion(values: readonly number[], expected: readonly number[]): number {
  let excess = 0;
  let squares = 0;
  for (let i = 0; i < values.length; i++) {
    const mu = expected[i];
    if (mu <= 0) continue;
    excess += (values[i] - mu) ** 2 - mu;
    squares += mu * mu;
  }
  return squares > 0 ? Math.max(0, excess / squares) : 0;
}

export function mean(values: readonly number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
}

export function median(values: readonly number[]): number {
  if (!values.length) return 0;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
