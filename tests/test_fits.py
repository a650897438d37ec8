"""Critical masses only where the runs support them (acsim.platform.fits; issue: numbers a researcher can trust)."""

import math

import numpy as np
import pytest

from acsim.platform.fits import fit_curve, plateau_sigmoid, sigmoid


def runs_of(curve, lo, hi, n_sizes=12, seeds=3, noise=0.03, seed=0):
    rng = np.random.default_rng(seed)
    sizes = np.repeat(np.geomspace(lo, hi, n_sizes), seeds)
    y = curve(np.log10(sizes)) + rng.normal(0, noise, sizes.size)  # unclipped: clipping biases the truth
    return sizes, y


def true_crossing(b, u, k, m, target):
    q = (target - b) / (u - b)
    return 10 ** (m + math.log(q / (1 - q)) / k)


def test_a_plateau_below_the_target_is_not_reached_in_either_form():
    # fig3 class 0 as reported: means level off near 0.85 -> the old fixed-asymptote fit "crossed" 0.9
    curve = lambda x: plateau_sigmoid(x, 0.05, 0.85, 4.0, math.log10(0.02))  # noqa: E731
    sizes, y = runs_of(curve, 2e-3, 0.5)
    for form in ("plateau", "paper"):
        fit = fit_curve(sizes, y, 0.9, form)
        assert fit.status == "not reached" and math.isnan(fit.critical_mass)
        assert fit.text.startswith("not reached (best mean S = 0.8")
    assert fit_curve(sizes, y, 0.9).top == pytest.approx(0.85, abs=0.03)  # the plateau is fitted


def test_a_supported_crossing_is_recovered_with_an_interval_that_covers_it():
    b, u, k, m = 0.05, 1.0, 4.0, math.log10(3e-3)
    sizes, y = runs_of(lambda x: plateau_sigmoid(x, b, u, k, m), 1e-4, 0.1)
    fit = fit_curve(sizes, y, 0.9)
    truth = true_crossing(b, u, k, m, 0.9)
    assert fit.status == "reached" and fit.method == "fit"
    assert fit.critical_mass == pytest.approx(truth, rel=0.15)
    assert fit.ci_low < fit.critical_mass < fit.ci_high
    assert fit.size_min <= fit.critical_mass <= fit.size_max


def test_the_order_of_the_runs_does_not_matter():
    # experiments list runs seed by seed (all sizes of seed 0, then seed 1, ...), not size by size
    sizes, y = runs_of(lambda x: plateau_sigmoid(x, 0.05, 0.98, 3.0, math.log10(1e-3)), 1e-4, 2e-2, 20)
    order = np.random.default_rng(1).permutation(sizes.size)
    a, b = fit_curve(sizes, y, 0.9), fit_curve(sizes[order], y[order], 0.9)
    assert a.critical_mass == pytest.approx(b.critical_mass, rel=1e-6)
    assert b.ci_low < b.critical_mass < b.ci_high < b.size_max
    assert (a.ci_low, a.ci_high) == pytest.approx((b.ci_low, b.ci_high), rel=0.2)


@pytest.mark.slow  # ~6 s of repeated fits
def test_the_90_percent_interval_covers_the_truth_about_90_percent_of_the_time():
    # 3 runs per size: a plain bootstrap keeps 2/3 of their variance and undercovers
    b, u, k, m = 0.05, 1.0, 4.0, math.log10(3e-3)
    truth = true_crossing(b, u, k, m, 0.9)
    hits = [fit_curve(*runs_of(lambda x: plateau_sigmoid(x, b, u, k, m), 1e-4, 0.1, seed=100 + r), 0.9,
                      n_boot=100, seed=r) for r in range(30)]
    coverage = np.mean([f.ci_low <= truth <= f.ci_high for f in hits])
    assert 0.8 <= coverage <= 1.0


def test_two_size_ranges_of_one_curve_give_overlapping_intervals():
    # fig2 (sizes to 2%) and fig5 (to 20%) run the same setting; their intervals must agree
    b, u, k, m = 0.05, 0.97, 3.0, math.log10(2e-3)
    a = fit_curve(*runs_of(lambda x: plateau_sigmoid(x, b, u, k, m), 1e-4, 2e-2, 20, seed=1), 0.9)
    c = fit_curve(*runs_of(lambda x: plateau_sigmoid(x, b, u, k, m), 1e-4, 0.2, 20, seed=2), 0.9)
    assert a.status == c.status == "reached"
    assert a.ci_low <= c.ci_high and c.ci_low <= a.ci_high


@pytest.mark.slow  # ~5 s
def test_success_from_the_smallest_size_on_is_below_the_smallest_size():
    sizes, y = runs_of(lambda x: np.full_like(x, 0.97), 1e-3, 0.1, noise=0.01)
    fit = fit_curve(sizes, y, 0.9)
    assert fit.status == "below smallest size" and math.isnan(fit.critical_mass)
    assert fit.text == f"below the smallest size tried ({fit.size_min:.3g})"


def test_crossing_beyond_the_largest_size_is_not_reported():
    # fig5 top-1 at 1 epoch: still rising at the largest size; the paper's form extrapolates
    curve = lambda x: sigmoid(x, 0.0, 2.0, math.log10(0.5))  # noqa: E731
    sizes, y = runs_of(curve, 1e-4, 0.2)
    for form in ("plateau", "paper"):
        fit = fit_curve(sizes, y, 0.9, form)
        assert fit.status == "not reached"
        assert fit.best_size == pytest.approx(0.2, rel=0.3)


def test_one_run_per_size_gives_no_interval_rather_than_a_zero_width_one():
    sizes, y = runs_of(lambda x: plateau_sigmoid(x, 0.0, 1.0, 3.0, -2.5), 1e-4, 0.1, seeds=1)
    fit = fit_curve(sizes, y, 0.9)
    assert fit.status == "reached" and math.isnan(fit.ci_low) and math.isnan(fit.ci_high)
    assert "no interval" in fit.text


def test_interval_bounds_that_leave_the_sizes_tried_are_open_ended():
    # crossing close to the largest size, noisy: some resamples never reach the target
    curve = lambda x: plateau_sigmoid(x, 0.0, 0.93, 3.0, math.log10(0.02))  # noqa: E731
    sizes, y = runs_of(curve, 1e-3, 0.1, noise=0.05, seed=4)
    fit = fit_curve(sizes, y, 0.9)
    if fit.status == "reached":
        assert fit.ci_high == math.inf and fit.text.endswith("not reached]")
    else:
        assert fit.status == "not reached"


def test_when_the_fit_disagrees_with_the_data_the_means_decide():
    # a step: the sigmoid cannot follow it, the means cross between two sizes
    sizes = np.repeat(np.geomspace(1e-3, 1e-1, 6), 2)
    y = np.where(sizes > 0.02, 0.95, 0.1)
    y[-1] = 0.2  # a noisy last run pulls the fitted plateau under the target
    fit = fit_curve(sizes, y, 0.9)
    assert fit.status == "reached"
    assert 0.015 <= fit.critical_mass <= 0.04


def test_too_few_sizes_is_no_fit_with_a_reason():
    fit = fit_curve(np.array([0.1, 0.2]), np.array([0.3, 0.4]))
    assert fit.status == "no fit" and not fit.params_ok and "at least 4" in fit.note


def test_unknown_form_is_refused():
    with pytest.raises(ValueError, match="form must be one of plateau, paper"):
        fit_curve(np.array([0.1, 0.2]), np.array([0.3, 0.4]), form="spline")


def test_critical_mass_as_members_is_read_off_the_runs_inside_the_sizes_tried():
    import pandas as pd

    from acsim.platform.fits import fit_curves

    b, u, k, m = 0.05, 1.0, 4.0, math.log10(3e-3)
    sizes, y = runs_of(lambda x: plateau_sigmoid(x, b, u, k, m), 1e-4, 0.1)
    runs = pd.DataFrame({"curve": "c", "size": sizes, "alpha": sizes, "n_members": np.round(sizes * 25_000), "S": y})
    row = fit_curves(runs, "alpha", ["S"], 0.9)[0]
    assert row["status"] == "reached"
    assert row["members_crit"] == pytest.approx(row["critical_mass"] * 25_000, rel=0.01)
    assert row["members_low"] < row["members_crit"] < row["members_high"]
    # A crossing beyond the sizes tried has no member count either.
    sizes, y = runs_of(lambda x: plateau_sigmoid(x, b, u, k, m), 1e-5, 1e-3)
    runs = pd.DataFrame({"curve": "c", "size": sizes, "alpha": sizes, "n_members": np.round(sizes * 25_000), "S": y})
    row = fit_curves(runs, "alpha", ["S"], 0.9)[0]
    assert row["status"] == "not reached" and math.isnan(row["members_crit"])
