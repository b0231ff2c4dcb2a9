// Count statistics behind the spike findings: Poisson and over-dispersed tails, dispersion, mean and median.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { countUpperTail, dispersion, mean, median, normalUpperTail, poissonUpperTail } from '../../src/core/detect/stats';
import { seeded, poissonSample, gaussian } from '../support/random';

/** |actual - expected| within `rel` of expected. */
function close(actual: number, expected: number, rel: number, what = '') {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what} ${actual} is not within ${rel * 100}% of ${expected}`);
}

describe('poissonUpperTail', () => {
  test('known values', () => {
    close(poissonUpperTail(9, 3), 0.0038029920616758917, 1e-6, 'P(X>=9|3)');
    close(poissonUpperTail(1, 0.5), 1 - Math.exp(-0.5), 1e-9, 'P(X>=1|0.5)');
    close(poissonUpperTail(3, 3), 0.5768099188731566, 1e-6, 'P(X>=3|3)');
    close(poissonUpperTail(20, 5), 3.452135820914455e-7, 1e-5, 'P(X>=20|5)');
    close(poissonUpperTail(40, 20), 5.320202511246242e-5, 1e-5, 'P(X>=40|20)');
    close(poissonUpperTail(50, 10), 1.8547268838697978e-19, 1e-4, 'P(X>=50|10)');
    // Past k = 30 the log-factorial is Stirling's: still accurate far in the tail.
    close(poissonUpperTail(30, 1), 1.4330814167223074e-33, 1e-4, 'P(X>=30|1)');
    close(poissonUpperTail(600, 500), 7.78527256187904e-6, 1e-4, 'P(X>=600|500)');
  });

  test('edge cases: k <= 0 is certain, lambda 0 never reaches 1', () => {
    assert.equal(poissonUpperTail(0, 3), 1);
    assert.equal(poissonUpperTail(-5, 3), 1);
    assert.equal(poissonUpperTail(0, 0), 1);
    assert.equal(poissonUpperTail(1, 0), 0);
    assert.equal(poissonUpperTail(9, 0), 0);
    assert.equal(poissonUpperTail(1, -1), 0);
  });

  test('k far below lambda is about 1, never above', () => {
    const p = poissonUpperTail(1, 400);
    assert.ok(p <= 1 && p > 0.999999, String(p));
    assert.ok(poissonUpperTail(100, 400) <= 1);
  });

  test('large lambda uses a normal approximation that stays close', () => {
    close(poissonUpperTail(1100, 1000), 0.0009626304058662804, 0.25, 'P(X>=1100|1000)');
    const p = poissonUpperTail(1000, 1000);
    assert.ok(p > 0.45 && p < 0.55, String(p));
  });

  test('decreasing in k and increasing in lambda', () => {
    for (const lambda of [0.3, 3, 40, 450, 800]) {
      let prev = 1;
      for (let k = 0; k < lambda * 3 + 20; k += Math.max(1, Math.floor(lambda / 10))) {
        const p = poissonUpperTail(k, lambda);
        assert.ok(p <= prev + 1e-12, `lambda ${lambda} k ${k}: ${p} > ${prev}`);
        assert.ok(p >= 0 && p <= 1);
        prev = p;
      }
    }
    for (const k of [1, 5, 30]) {
      let prev = 0;
      for (const lambda of [0.1, 1, 2, 5, 10, 30, 100]) {
        const p = poissonUpperTail(k, lambda);
        assert.ok(p >= prev - 1e-12, `k ${k} lambda ${lambda}`);
        prev = p;
      }
    }
  });
});

describe('normalUpperTail', () => {
  test('known values and symmetry', () => {
    close(normalUpperTail(0), 0.5, 1e-6);
    close(normalUpperTail(1.959963985), 0.025, 1e-4);
    close(normalUpperTail(3), 0.0013498980316301, 1e-3);
    close(normalUpperTail(-1.959963985), 0.975, 1e-4);
    close(normalUpperTail(1) + normalUpperTail(-1), 1, 1e-9);
    assert.ok(normalUpperTail(40) >= 0 && normalUpperTail(40) < 1e-300);
  });
});

describe('countUpperTail', () => {
  test('with no dispersion it is the Poisson tail of the rounded-up count', () => {
    assert.equal(countUpperTail(9, 3, 0), poissonUpperTail(9, 3));
    assert.equal(countUpperTail(8.2, 3, 0), poissonUpperTail(9, 3));
    assert.equal(countUpperTail(50, 10, -1), poissonUpperTail(50, 10));
  });

  test('small and zero means: never narrower than Poisson, zero mean gives zero', () => {
    assert.ok(countUpperTail(5, 0.5, 3) >= poissonUpperTail(5, 0.5));
    assert.equal(countUpperTail(5, 0, 3), 0);
    assert.equal(countUpperTail(5, -2, 3), 0);
  });

  test('monotonic: falls as the count grows, for any dispersion', () => {
    for (const phi of [0, 0.01, 0.2, 1]) {
      for (const mu of [0.5, 3, 20, 200]) {
        let prev = 1;
        for (let x = 0; x < mu * 6 + 30; x += Math.max(1, Math.floor(mu / 7))) {
          const p = countUpperTail(x, mu, phi);
          assert.ok(p >= 0 && p <= 1, `phi ${phi} mu ${mu} x ${x}: ${p}`);
          // Sums of about 1 carry rounding of ~1e-12: only real rises count.
          assert.ok(p <= prev + 1e-9, `phi ${phi} mu ${mu} x ${x}: ${p} > ${prev}`);
          prev = p;
        }
      }
    }
  });

  test('more dispersion never makes a high count more surprising', () => {
    for (const mu of [5, 20, 200]) {
      for (const x of [mu * 2, mu * 4 + 10]) {
        let prev = 0;
        for (const phi of [0, 0.05, 0.2, 1, 4]) {
          const p = countUpperTail(x, mu, phi);
          assert.ok(p >= prev - 1e-15, `mu ${mu} x ${x} phi ${phi}: ${p} < ${prev}`);
          prev = p;
        }
      }
    }
  });

  test('over-dispersion widens the tail as documented (variance mean + phi·mean²)', () => {
    // phi = 1 is the geometric distribution: P(X ≥ k) = (mean / (1 + mean))^k exactly.
    const p = countUpperTail(400, 100, 1);
    assert.ok(Math.abs(p - (100 / 101) ** 400) < 1e-9, String(p));
    assert.ok(p > poissonUpperTail(400, 100) * 1e50, 'far wider than Poisson');
  });
});

describe('countUpperTail below and around large means', () => {
  test('a count far below a large mean is almost certain to be reached', () => {
    // Exact values (scipy nbinom.sf): 1.0, 0.9999999997, 1.0.
    assert.ok(countUpperTail(1, 1e6, 0.01) > 0.999, String(countUpperTail(1, 1e6, 0.01)));
    assert.ok(countUpperTail(5e5, 1e6, 0.01) > 0.999, String(countUpperTail(5e5, 1e6, 0.01)));
    assert.ok(countUpperTail(1, 3e5, 1e-6) > 0.999, String(countUpperTail(1, 3e5, 1e-6)));
  });

  test('known negative-binomial tails', () => {
    // scipy: nbinom.sf(k - 1, r = 1/phi, p = r / (r + mean)).
    close(countUpperTail(30, 10, 0.5), 0.025276321398524582, 1e-6, 'NB(10, 0.5) >= 30');
    close(countUpperTail(10, 10, 0.5), 0.43068155437292166, 1e-6, 'NB(10, 0.5) >= 10');
    close(countUpperTail(100, 300, 0.1), 0.9971497051930571, 1e-6, 'NB(300, 0.1) >= 100');
    close(countUpperTail(1, 0.5, 3), 0.2631937002719226, 1e-6, 'NB(0.5, 3) >= 1');
  });
});

describe('dispersion', () => {
  test('zero when values equal their expectations (under-dispersed is clamped to 0)', () => {
    assert.equal(dispersion([100, 100, 100], [100, 100, 100]), 0);
    assert.equal(dispersion([3, 3, 3, 3], [3, 3, 3, 3]), 0);
  });

  test('about zero for Poisson-like data', () => {
    const rand = seeded(5);
    const values: number[] = [];
    const expected: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const mu = [5, 40, 120][i % 3];
      values.push(poissonSample(mu, rand));
      expected.push(mu);
    }
    const phi = dispersion(values, expected);
    assert.ok(phi >= 0 && phi < 0.01, String(phi));
  });

  test('the method-of-moments phi for over-dispersed data', () => {
    // Every value 100 away from a mean of 100: variance 10000 = 100 + phi·10000 → phi 0.99.
    close(dispersion([0, 200, 0, 200], [100, 100, 100, 100]), 0.99, 1e-12);
    // Values whose variance is about mean + 0.25·mean² (gamma-Poisson mixture).
    const rand = seeded(9);
    const values: number[] = [];
    const expected: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const mu = 80;
      const rate = gammaSample(4, mu / 4, rand); // shape 4: phi = 1/4
      values.push(poissonSample(rate, rand));
      expected.push(mu);
    }
    const phi = dispersion(values, expected);
    assert.ok(phi > 0.18 && phi < 0.32, String(phi));
  });

  test('hours expected at zero are left out; nothing left gives 0', () => {
    assert.equal(dispersion([5, 7], [0, 0]), 0);
    assert.equal(dispersion([], []), 0);
    assert.equal(dispersion([1000, 100], [0, 100]), 0);
  });
});

describe('mean and median', () => {
  test('values', () => {
    assert.equal(mean([]), 0);
    assert.equal(mean([1, 2, 3, 4]), 2.5);
    assert.equal(median([]), 0);
    assert.equal(median([5]), 5);
    assert.equal(median([9, 1, 5]), 5);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([10, 2, 33, 4, 1000, 6]), 8);
  });

  test('median does not reorder its input', () => {
    const v = [3, 1, 2];
    median(v);
    assert.deepEqual(v, [3, 1, 2]);
  });
});

/** Marsaglia–Tsang for shape >= 1. */
function gammaSample(shape: number, scale: number, rand: () => number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = gaussian(rand);
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    if (Math.log(1 - rand()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v * scale;
  }
}

describe('countUpperTail far in the tail', () => {
  test('a count so high that every term underflows returns at once (it once looped for ever)', () => {
    const started = Date.now();
    assert.equal(countUpperTail(2000, 3, 0.001), 0);
    assert.equal(countUpperTail(50_000, 10, 0.5), 0);
    assert.ok(Date.now() - started < 1000);
  });
});

describe('counts past 2^53 (a recorded metric of 9007199254740992 invocations once hung the scan)', () => {
  test('the tails of counts where k + 1 === k end, and are 0', () => {
    for (const k of [2 ** 53, 2 ** 53 + 2, 2 ** 60, 1e300, Number.MAX_VALUE, Infinity]) {
      assert.equal(poissonUpperTail(k, 3), 0, `P(X >= ${k} | 3)`);
      assert.equal(countUpperTail(k, 3, 0), 0, `NB(3, 0) >= ${k}`);
      assert.equal(countUpperTail(k, 3, 0.2), 0, `NB(3, 0.2) >= ${k}`);
    }
  });

  test('any count, mean and dispersion: a probability, at once', () => {
    const count = fc.oneof(
      fc.double({ min: 0, noNaN: true }),
      fc.integer({ min: 0, max: 5000 }),
      fc.constantFrom(2 ** 53, 2 ** 53 + 2, 1e300),
    );
    const level = fc.oneof(fc.double({ min: -1, max: 1e7, noNaN: true }), fc.double({ min: 0, max: 50, noNaN: true }));
    fc.assert(
      fc.property(count, level, fc.double({ min: -1, max: 10, noNaN: true }), (k, mu, phi) => {
        const p = poissonUpperTail(k, mu);
        const q = countUpperTail(k, mu, phi);
        assert.ok(p >= 0 && p <= 1, `poissonUpperTail(${k}, ${mu}) = ${p}`);
        assert.ok(q >= 0 && q <= 1, `countUpperTail(${k}, ${mu}, ${phi}) = ${q}`);
      }),
      { numRuns: 3000 },
    );
  });
});
