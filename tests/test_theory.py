"""The paper's bounds: formulas, corollary/theorem consistency, domains, vectorisation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acsim import theory as T

alphas = st.floats(1e-4, 1.0)


def nonneg(hi):
    # Zero or a normal float: subnormal inputs only test float underflow, not the paper.
    return st.one_of(st.just(0.0), st.floats(1e-6, hi))


epss = nonneg(0.49)
targets = st.floats(0.01, 0.99)


def test_feature_label_matches_theorem_1_by_hand():
    # α = 0.1, ξ = 0.01, Δ = 1, ε = 0: 1 − 9 · 0.01 = 0.91
    assert T.feature_label_success_bound(0.1, 0.01, 1.0) == pytest.approx(0.91)
    # ε = 0.1: factor ((0.9)(1) + 0.1)/(0.8) = 1.25 → 1 − 9 · 1.25 · 0.01
    assert T.feature_label_success_bound(0.1, 0.01, 1.0, 0.1) == pytest.approx(1 - 9 * 1.25 * 0.01)


def test_feature_only_and_erasure_by_hand():
    # Theorem 3, ε = 0: 1 − (1 − p)/(pα) ξ
    assert T.feature_only_success_bound(0.2, 0.01, 0.5) == pytest.approx(1 - 0.5 / 0.1 * 0.01)
    # ε = 0.1, p = 0.5, α = 0.2: 1 − (1 − .45 − .02)/(.09 − .02) ξ
    assert T.feature_only_success_bound(0.2, 0.01, 0.5, 0.1) == pytest.approx(1 - 0.53 / 0.07 * 0.01)
    # Theorem 5: 1 − 2(1 − α)/α τ − ε/((1 − ε)α)
    assert T.erasure_success_bound(0.5, 0.05, 0.1) == pytest.approx(1 - 2 * 0.05 - 0.1 / 0.45)


@settings(max_examples=200, deadline=None)
@given(targets, nonneg(0.2), nonneg(1.0), epss)
def test_corollary_2_inverts_theorem_1(target, xi, delta, eps):
    a = T.feature_label_critical_mass(target, xi, delta, eps)
    if a > 0:
        assert T.feature_label_success_bound(a, xi, delta, eps) == pytest.approx(target, abs=1e-9)
    else:
        assert xi * T.suboptimality_factor(delta, eps) == 0


@settings(max_examples=200, deadline=None)
@given(targets, st.floats(1e-6, 0.2), st.floats(0.05, 1.0), epss)
def test_corollary_4_inverts_theorem_3(target, xi, p, eps):
    a = T.feature_only_critical_mass(target, xi, p, eps)
    if (1 - eps) * p <= eps:
        assert a == np.inf and T.feature_only_success_bound(0.5, xi, p, eps) == -np.inf
    elif 0 < a <= 1:
        assert T.feature_only_success_bound(a, xi, p, eps) == pytest.approx(target, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(targets, nonneg(0.5), epss)
def test_corollary_6_inverts_theorem_5(target, tau, eps):
    a = T.erasure_critical_mass(target, tau, eps)
    if a == 0:
        assert tau == 0 and eps == 0
    elif a <= 1:
        assert T.erasure_success_bound(a, tau, eps) == pytest.approx(target, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(alphas, st.floats(0, 0.1), st.floats(0, 1), epss)
def test_bounds_never_exceed_one_and_grow_with_alpha(alpha, xi, delta, eps):
    s1 = T.feature_label_success_bound(alpha, xi, delta, eps)
    s2 = T.feature_label_success_bound(min(1.0, alpha * 1.5), xi, delta, eps)
    assert s1 <= 1.0 and s2 >= s1 - 1e-12


def test_suboptimality_inflates_critical_mass():
    base = T.feature_label_critical_mass(0.9, 0.001, 1.0, 0.0)
    worse = T.feature_label_critical_mass(0.9, 0.001, 1.0, 0.05)
    assert worse > base
    # feature-only needs more than feature-label when p < 0.5 (text after Corollary 4)
    assert T.feature_only_critical_mass(0.9, 0.001, 0.3) > T.feature_label_critical_mass(0.9, 0.001, 1.0)


def test_section_4_bounds():
    # Corollary 8 and its Theorem 7 counterpart: at α* the bound reaches 0 for any μ.
    a = T.gradient_neutralizing_critical_mass(2.0, 6.0)
    assert a == pytest.approx(0.25)
    assert T.gradient_neutralizing_success_bound(a, 2.0, 6.0, mu=0.3) == pytest.approx(0.0, abs=1e-12)
    assert T.gradient_neutralizing_success_bound(0.1, 2.0, 6.0, mu=0.5) == pytest.approx((0.6 - 1.8) / 0.5)
    assert T.gradient_neutralizing_critical_mass(0.0, 0.0) == 0.0
    # Proposition 9: βU/(g_lb‖∇u‖ + βU)
    assert T.utility_critical_mass(0.5, 2.0, 3.0, 1.0) == pytest.approx(1.0 / 4.0)
    assert T.utility_critical_mass(0.0, 2.0, 0.0, 0.0) == 0.0
    # Theorem 10: −(1 − ηC)^T d0
    assert T.gradient_control_success_bound(3, 0.5, 0.4, 2.0) == pytest.approx(-(0.8 ** 3) * 2.0)


def test_broadcasting_and_float_out():
    out = T.feature_label_success_bound(np.array([0.01, 0.1, 1.0]), np.array([[0.001], [0.01]]), 1.0)
    assert out.shape == (2, 3)
    assert isinstance(T.erasure_critical_mass(0.9, 0.01), float)
    assert T.feature_label_success_bound(1.0, 0.3, 1.0) == 1.0  # everyone in the collective


@pytest.mark.parametrize(
    "call, name, interval",
    [
        (lambda: T.feature_label_success_bound(0.0, 0.1, 1.0), "alpha", "(0, 1]"),
        (lambda: T.feature_label_success_bound(1.2, 0.1, 1.0), "alpha", "(0, 1]"),
        (lambda: T.feature_label_success_bound(0.5, -0.1, 1.0), "xi", "[0, inf)"),
        (lambda: T.feature_label_success_bound(0.5, 0.1, 1.0, eps=0.5), "eps", "[0, 0.5)"),
        (lambda: T.feature_label_success_bound(0.5, 0.1, 1.5), "delta", "[0, 1]"),
        (lambda: T.feature_only_success_bound(0.5, 0.1, 0.0), "p", "(0, 1]"),
        (lambda: T.erasure_success_bound(0.5, -1.0), "tau", "[0, inf)"),
        (lambda: T.feature_label_critical_mass(1.0, 0.1, 1.0), "target", "(0, 1)"),
        (lambda: T.erasure_critical_mass(0.0, 0.1), "target", "(0, 1)"),
        (lambda: T.gradient_neutralizing_success_bound(0.5, 1.0, 1.0, 0.0), "mu", "(0, inf)"),
        (lambda: T.gradient_control_success_bound(2.5, 0.1, 1.0, 1.0), "T", "whole number"),
        (lambda: T.gradient_control_success_bound(2, 2.0, 1.0, 1.0), "eta*C", "(0, 1)"),
        (lambda: T.gradient_control_success_bound(2, 1.0, 1.0, 1.0), "eta*C", "(0, 1)"),  # ηC = 1: no contraction
        (lambda: T.feature_label_success_bound(np.nan, 0.1, 1.0), "alpha", "(0, 1]"),
    ],
)
def test_out_of_domain_names_parameter_and_range(call, name, interval):
    with pytest.raises(ValueError) as err:
        call()
    assert name in str(err.value) and interval in str(err.value)


def test_vacuous_regimes_are_signalled_not_nan():
    assert T.feature_label_success_bound(0.001, 0.5, 1.0) < 0  # vacuous, raw value
    v = T.feature_only_success_bound(np.array([0.1, 0.5]), 0.1, 0.1, 0.2)  # (1-ε)p ≤ ε
    assert np.all(v == -np.inf)
    assert not np.any(np.isnan(T.feature_only_critical_mass(np.linspace(0.1, 0.9, 5), 0.1, 0.1, 0.2)))
