//! The few statistics surge rules need, computed in log space so that large counts and rates
//! neither overflow nor underflow.

/// Natural logarithm of `n!`.
///
/// Exact summation up to 64, Stirling's series (to the `1/n⁵` term, error below 1e-16
/// relative) beyond.
pub fn ln_factorial(n: u64) -> f64 {
    if n < 2 {
        return 0.0;
    }
    if n <= 64 {
        return (2..=n).map(|k| (k as f64).ln()).sum();
    }
    let x = n as f64 + 1.0;
    let inverse = 1.0 / x;
    let inverse_squared = inverse * inverse;
    (x - 0.5) * x.ln() - x
        + 0.5 * (2.0 * std::f64::consts::PI).ln()
        + inverse * (1.0 / 12.0 - inverse_squared * (1.0 / 360.0 - inverse_squared / 1260.0))
}

/// Natural log of the Poisson probability P(X = k | λ), for λ > 0.
pub fn ln_poisson_pmf(k: u64, rate: f64) -> f64 {
    k as f64 * rate.ln() - rate - ln_factorial(k)
}

/// Natural log of the Poisson upper tail P(X ≥ x | λ), for λ > 0.
///
/// Above the mean the tail is summed from its largest term, `P(X = x)`, down (each next term
/// is the last times λ/(k+1) < 1), so the sum never leaves [1, x+1] and never underflows;
/// at or below the mean it is one minus the lower tail, summed the same way from `x − 1`
/// down, which stays accurate because that lower tail is then at most about one half.
///
/// ```
/// use vigie_engine::stats::ln_poisson_upper_tail;
/// // P(X ≥ 1 | λ = 2) = 1 − e^−2
/// assert!((ln_poisson_upper_tail(1, 2.0).exp() - (1.0 - (-2.0f64).exp())).abs() < 1e-12);
/// // Far in the tail, where e^−λ alone underflows, the log stays finite.
/// assert!(ln_poisson_upper_tail(6_000, 5_000.0).is_finite());
/// ```
pub fn ln_poisson_upper_tail(x: u64, rate: f64) -> f64 {
    debug_assert!(rate > 0.0 && rate.is_finite());
    if x == 0 {
        return 0.0;
    }
    if x as f64 > rate {
        let mut term = 1.0;
        let mut sum = 1.0;
        let mut k = x;
        loop {
            k += 1;
            term *= rate / k as f64;
            sum += term;
            if term < sum * 1e-17 {
                break;
            }
        }
        ln_poisson_pmf(x, rate) + sum.ln()
    } else {
        let top = x - 1;
        let mut term = 1.0;
        let mut sum = 1.0;
        let mut k = top;
        while k > 0 {
            term *= k as f64 / rate;
            sum += term;
            if term < sum * 1e-17 {
                break;
            }
            k -= 1;
        }
        let ln_lower = ln_poisson_pmf(top, rate) + sum.ln();
        (-ln_lower.exp()).ln_1p()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tail summed the naive way, fine while e^−λ and λ^k do not under- or overflow.
    fn naive_upper_tail(x: u64, rate: f64) -> f64 {
        let mut term = (-rate).exp();
        let mut below = 0.0;
        for k in 0..x {
            below += term;
            term *= rate / (k + 1) as f64;
        }
        1.0 - below
    }

    #[test]
    fn ln_factorial_matches_the_product_on_both_sides_of_the_switch() {
        let mut product: f64 = 1.0;
        for n in 1..=150u64 {
            product *= n as f64;
            let relative = (ln_factorial(n) - product.ln()).abs() / product.ln().max(1.0);
            assert!(
                relative < 1e-13,
                "n = {n}: {} vs {}",
                ln_factorial(n),
                product.ln()
            );
        }
    }

    #[test]
    fn upper_tail_agrees_with_naive_summation_for_moderate_rates() {
        for rate in [0.02, 0.25, 1.0, 3.7, 12.0, 40.0] {
            for x in 0..80u64 {
                let naive = naive_upper_tail(x, rate);
                if naive < 1e-12 {
                    continue; // the naive sum has lost every digit by then
                }
                let ours = ln_poisson_upper_tail(x, rate).exp();
                assert!(
                    (ours - naive).abs() <= 1e-9 * naive.max(1e-3),
                    "x = {x}, λ = {rate}: {ours} vs {naive}"
                );
            }
        }
    }

    #[test]
    fn upper_tail_is_bounded_by_its_first_term_and_chernoff_for_huge_rates() {
        // e^−5000 is 0 in f64: a naive implementation returns 0 or NaN here.
        for (x, rate) in [(6_000u64, 5_000.0), (1_100, 1_000.0), (200_000, 150_000.0)] {
            let tail = ln_poisson_upper_tail(x, rate);
            let first_term = ln_poisson_pmf(x, rate);
            let x_f = x as f64;
            let chernoff = -rate + x_f * (1.0 + rate.ln() - x_f.ln());
            assert!(tail.is_finite());
            assert!(tail >= first_term, "{tail} < {first_term}");
            assert!(tail <= chernoff, "{tail} > {chernoff}");
        }
        // Consecutive tails differ by exactly the point mass.
        let (x, rate) = (1_100u64, 1_000.0);
        let difference =
            ln_poisson_upper_tail(x, rate).exp() - ln_poisson_upper_tail(x + 1, rate).exp();
        let mass = ln_poisson_pmf(x, rate).exp();
        assert!((difference - mass).abs() < 1e-12 * mass.max(1e-300) + 1e-18);
    }

    #[test]
    fn upper_tail_near_and_below_the_mean_is_large_and_monotone() {
        let rate = 10_000.0;
        let mut previous = 0.0;
        for x in (9_000..=11_000u64).step_by(100) {
            let tail = ln_poisson_upper_tail(x, rate);
            assert!(tail <= previous + 1e-15, "not decreasing at {x}");
            previous = tail;
        }
        // At the mean the tail is a little above one half.
        let at_mean = ln_poisson_upper_tail(10_000, rate).exp();
        assert!((0.5..0.51).contains(&at_mean), "{at_mean}");
    }
}
