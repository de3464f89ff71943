#include <stdint.h>

/*
 * gemmlowp's int32 fixed-point operations, as TensorFlow Lite's int8 softmax uses them (written
 * from their definitions; the TypeScript twin is src/kinds/shared/fixed-point.ts). A value with
 * I integer bits is an int32 r meaning r / 2^(31 - I). Products are formed in 64 bits, and no
 * negative value is shifted right (implementation-defined in C99).
 */

/*
 * SaturatingRoundingDoublingHighMul: round(a * b / 2^31), ties up (toward +infinity);
 * (-2^31)^2 saturates.
 */
static int32_t sn_fp_mul(int32_t a, int32_t b)
{
    int64_t product;
    int64_t nudge;
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    product = (int64_t)a * (int64_t)b;
    nudge = product >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    /* C99 division truncates toward zero */
    return (int32_t)((product + nudge) / ((int64_t)1 << 31));
}

/*
 * RoundingDivideByPOT: x / 2^exponent (exponent 0..31) rounded to nearest, ties away from zero,
 * on the magnitude.
 */
static int32_t sn_fp_rounding_divide(int32_t x, int32_t exponent)
{
    const int64_t half = exponent > 0 ? ((int64_t)1 << (exponent - 1)) : 0;
    if (x >= 0) {
        return (int32_t)(((int64_t)x + half) >> exponent);
    }
    return (int32_t)(-((-(int64_t)x + half) >> exponent));
}

/* SaturatingRoundingMultiplyByPOT for exponent 1..30: x * 2^exponent, saturated to int32. */
static int32_t sn_fp_saturating_shift_left(int32_t x, int32_t exponent)
{
    const int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((int64_t)x * ((int64_t)1 << exponent));
}

/*
 * exp(a) for a Q5.26 value a <= 0, as a Q0.31 value (exp_on_negative_values): a is split into
 * (a mod 1/4) - 1/4, whose exp a Taylor polynomial around -1/8 gives, and a remainder r, a
 * multiple of 1/4 below 32, one factor exp(-2^k) for every bit of r. exp(0) is 2^31 - 1.
 */
static int32_t sn_fp_exp_on_negative(int32_t a)
{
    enum { FRACTIONAL_BITS = 26, QUARTER = 1 << (FRACTIONAL_BITS - 2), EIGHTH_Q0_31 = 1 << 28 };
    static const int32_t exp_of_minus_power_of_two[7] = {
        1672461947, /* exp(-1/4) */
        1302514674, /* exp(-1/2) */
         790015084, /* exp(-1) */
         290630308, /* exp(-2) */
          39332535, /* exp(-4) */
            720401, /* exp(-8) */
               242  /* exp(-16) */
    };
    const int32_t exp_minus_eighth = 1895147668; /* exp(-1/8), Q0.31 */
    const int32_t one_third = 715827883;         /* 1/3, Q0.31 */
    const int32_t a_mod_quarter_minus_quarter =
        (int32_t)((uint32_t)a & (uint32_t)(QUARTER - 1)) - QUARTER;
    const int32_t remainder = a_mod_quarter_minus_quarter - a;
    int32_t x, x2, x3, x4, polynomial, result, k;

    if (a == 0) {
        return INT32_MAX;
    }
    /* Q5.26 -> Q0.31, then the Taylor expansion in x = t + 1/8 */
    x = sn_fp_saturating_shift_left(a_mod_quarter_minus_quarter, 5) + EIGHTH_Q0_31;
    x2 = sn_fp_mul(x, x);
    x3 = sn_fp_mul(x2, x);
    x4 = sn_fp_mul(x2, x2);
    polynomial =
        sn_fp_rounding_divide(sn_fp_mul(sn_fp_rounding_divide(x4, 2) + x3, one_third) + x2, 1);
    result = exp_minus_eighth + sn_fp_mul(exp_minus_eighth, x + polynomial);
    for (k = 0; k < 7; k++) {
        if (((uint32_t)remainder & ((uint32_t)1 << (FRACTIONAL_BITS - 2 + k))) != 0u) {
            result = sn_fp_mul(result, exp_of_minus_power_of_two[k]);
        }
    }
    return result;
}

/*
 * 1 / (1 + a) for a Q0.31 value a in [0, 1), as a Q0.31 value (one_over_one_plus_x_for_x_in_0_1):
 * three Newton-Raphson steps for 1 / d, d = (1 + a) / 2, from 48/17 - 32/17 d, in Q2.29.
 */
static int32_t sn_fp_one_over_one_plus_x(int32_t a)
{
    const int32_t forty_eight_over_17 = 1515870810;         /* Q2.29 */
    const int32_t minus_thirty_two_over_17 = -1010580540;   /* Q2.29 */
    const int32_t one_q2_29 = (int32_t)1 << 29;
    const int64_t sum = (int64_t)a + INT32_MAX;
    const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    int32_t x = forty_eight_over_17 + sn_fp_mul(half_denominator, minus_thirty_two_over_17);
    int32_t i;
    for (i = 0; i < 3; i++) {
        const int32_t one_minus_half_denominator_times_x =
            one_q2_29 - sn_fp_mul(half_denominator, x);
        x += sn_fp_saturating_shift_left(sn_fp_mul(x, one_minus_half_denominator_times_x), 2);
    }
    return sn_fp_saturating_shift_left(x, 1); /* Q2.29 halved is Q1.30; to Q0.31 */
}
