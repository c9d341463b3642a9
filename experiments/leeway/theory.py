"""Appendix B's closed forms for gamma_m, a model with measured distances, and log-log slope fits.

The paper (appendix B.1) models v_k^(i) ~ N(mu_k, sigma_k^2), writes delta_bar = mean_k E|v_k^(i) -
v_k^(j)| and approximates ||V_i - V_j||_p ~ (d delta_bar^p)^(1/p) and ||B - V_i||_p ~ (gamma^p +
d (delta_bar / sqrt 2)^p)^(1/p). Then (B.2, B.3, n = 2f + 1 for Brute, 2f + 3 for Krum / GeoMed):

  Brute:        gamma_m ~ ((1 - 2^(-p/2)) d)^(1/p) delta_bar
  Krum / GeoMed: gamma_m ~ (((f + 1 - b) / (2 - b))^(p/q) - 2^(-p/2))^(1/p) d^(1/p) delta_bar,
                q = 2 for Krum, 1 for GeoMed; b = how many copies of B are among an honest
                gradient's n - f - 2 nearest. `paper` takes b = 0: at gamma_m, B is farther from
                every honest gradient than they are from each other, so none counts B among its
                nearest. For p = inf, the limits: Brute delta_bar, Krum / GeoMed ((f + 1) / 2)^(1/q) delta_bar.

Where the approximations go wrong (`model`, the same arguments with the measured distances):
  1. (sum_k |x_k|^p)^(1/p) ~ d^(1/p) mean_k |x_k| replaces the mean of |x_k|^p by the p-th power of
     the mean (Jensen: too small). For Gaussian gaps and p = 2 the factor is sqrt(pi / 2) = 1.25;
     with unequal sigma_k it also holds sqrt(mean sigma_k^2) / mean sigma_k; for p = inf the true
     distance is the largest of d gaps, which grows as sqrt(2 ln d) sigma, not a constant.
  2. GeoMed (the medoid) sums the distances to all n - 1 other submissions, not to the n - f - 2
     nearest: B wins when (h - f) ||B - V|| < (h - 1) ||V_i - V_j||, i.e. (f + 2) / 3 where the
     appendix has (f + 1) / 2 at n = 2f + 3 (h = f + 3).
  3. The rules compare B with the best honest gradient, not a typical one: Brute with the largest
     honest distance (the exact criterion of `attacks.brute_leeway`), Krum with the smallest honest
     score, GeoMed with the smallest honest sum.
  4. For `linf` (E = ones) ||B - V_i||_inf = gamma + max_k c_ik, which adds to gamma instead of
     (gamma^p + R^p)^(1/p) -> max(gamma, R).
"""

import math

import numpy as np

EXPONENT_D = {"2": 0.5, "inf": 0.0}  # gamma_m = O(d^(1/p))
EXPONENT_F = {"brute": 0.0, "krum": 0.5, "geomed": 1.0}  # O(f^(1/q)), none for Brute
GAUSSIAN_DISTANCE_FACTOR = math.sqrt(math.pi / 2)  # correction 1 for Gaussian gaps, p = 2: true / approximated


def paper(rule, p, d, f, delta_bar, n=None):
    """Appendix B's closed form for gamma_m (b = 0), p "2" or "inf". `n`: None for the worst case the
    appendix studies (n = 2f + 1 for Brute, 2f + 3 for Krum / GeoMed). At another n, B.3's argument for
    Krum / GeoMed counts n - f - 2 honest neighbours in an honest gradient's score and n - 2f - 1 in B's
    (its f - 1 copies come first, at distance 0): (f + 1) / 2 becomes (n - f - 2) / (n - 2f - 1), the
    same at n = 2f + 3; for n <= 2f + 1 B's score is 0 whatever gamma (its nearest are its copies): no
    bound, inf. Brute's condition (B.2) does not depend on n."""
    if rule == "brute":
        return delta_bar if p == "inf" else math.sqrt((1 - 2 ** -1) * d) * delta_bar
    q = 2 if rule == "krum" else 1
    if n is not None and n - 2 * f - 1 <= 0:
        return math.inf
    ratio = (f + 1) / 2 if n is None else (n - f - 2) / (n - 2 * f - 1)
    if p == "inf":
        return ratio ** (1 / q) * delta_bar
    return math.sqrt(ratio ** (2 / q) - 0.5) * math.sqrt(d) * delta_bar


def model(rule, p, f, distances):
    """The same arguments with the measured distances (`measure.distance_statistics`) and the
    corrections 2 to 4 of the module doc; NaN where the argument has no solution.

    With a = ||B - V_i||_p taken equal for every i (a^2 = gamma^2 + R^2 for p = 2, R the mean distance
    of the honest gradients to their mean; a = gamma + R+ for `linf`, R+ the mean of max_k c_ik):
      Brute:  a < the largest honest distance (the nearest honest gradient's R: `attacks.brute_leeway`);
      Krum:   2 a^2 < the smallest honest score (B's 2 nearest are honest, b = 0);
      GeoMed: h a < min_i sum_j ||V_i - V_j|| + f a, i.e. a < min_i sum_j ||V_i - V_j|| / (h - f).
    """
    h = f + 1 if rule == "brute" else f + 3
    if rule == "brute":
        level = distances["pair_max"]
    elif rule == "krum":
        level = math.sqrt(distances["krum_score"] / 2)
    else:
        level = distances["medoid_sum"] / (h - f)
    if p == "inf":
        return level - distances["to_mean_top"]
    to_mean = distances["to_mean"]
    return math.sqrt(level ** 2 - to_mean ** 2) if level > to_mean else math.nan


def slope(xs, ys):
    """Least-squares slope of log(ys) against log(xs) and its standard error (all points, each
    draw one point). Returns (slope, standard error); NaN with fewer than 3 points or one x."""
    x, y = np.log(np.asarray(xs, float)), np.log(np.asarray(ys, float))
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size < 3 or np.ptp(x) == 0:
        return math.nan, math.nan
    xc = x - x.mean()
    b = float(xc @ (y - y.mean()) / (xc @ xc))
    residual = y - y.mean() - b * xc
    return b, float(math.sqrt(residual @ residual / (x.size - 2) / (xc @ xc)))
