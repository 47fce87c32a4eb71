//! TimeLLM's prompt: statistics of each normalised window written out as NeuralForecast writes
//! them (Python's `str` of the float32 values, its lower median, the sign of the summed
//! differences, the top lags of the autocorrelation, and its fixed wording).

/// The statistics NeuralForecast's TimeLLM puts in a window's prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowStats {
    /// Smallest value.
    pub min: f32,
    /// Largest value.
    pub max: f32,
    /// `torch.median`: the lower of the two middle values for an even count.
    pub median: f32,
    /// The summed first differences are positive.
    pub upward: bool,
    /// The `top_k` lags of largest autocorrelation, largest first.
    pub lags: Vec<usize>,
}

/// Length of NeuralForecast's autocorrelation of a window of `len` points: `irfft` of an
/// `rfft` without `n` returns `2 * (len / 2)` points.
pub fn lag_count(len: usize) -> usize {
    2 * (len / 2)
}

/// The statistics of window `x` (`x.len() >= 2`, `top_k <= lag_count(x.len())`).
///
/// The lags are those of `irfft(|rfft(x)|^2)` (the circular autocorrelation for an even
/// length), computed in f64 and ranked on the values rounded to f32, the smaller lag first on
/// ties. Lags `k` and `n - k` have the same autocorrelation, so NeuralForecast's order of such
/// pairs follows the rounding of its FFT; this order is the deterministic one.
pub fn window_stats(x: &[f32], top_k: usize) -> WindowStats {
    let len = x.len();
    let mut sorted = x.to_vec();
    sorted.sort_by(f32::total_cmp);
    let trend = x.windows(2).map(|w| w[1] - w[0]).sum::<f32>();
    // Power spectrum of the len-point DFT, bins 0..=n/2 of the n-point inverse.
    let n = lag_count(len);
    let half = n / 2;
    let power: Vec<f64> = (0..=half)
        .map(|k| {
            let (mut re, mut im) = (0.0f64, 0.0f64);
            for (t, &v) in x.iter().enumerate() {
                let a = -2.0 * std::f64::consts::PI * (k * t % len) as f64 / len as f64;
                re += f64::from(v) * a.cos();
                im += f64::from(v) * a.sin();
            }
            re * re + im * im
        })
        .collect();
    let corr: Vec<f32> = (0..n)
        .map(|j| {
            let mut s = power[0];
            if half > 0 {
                s += if j % 2 == 0 {
                    power[half]
                } else {
                    -power[half]
                };
            }
            for (k, &p) in power.iter().enumerate().take(half).skip(1) {
                let a = 2.0 * std::f64::consts::PI * (k * j % n) as f64 / n as f64;
                s += 2.0 * p * a.cos();
            }
            (s / n as f64) as f32
        })
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| corr[b].total_cmp(&corr[a]).then(a.cmp(&b)));
    order.truncate(top_k);
    WindowStats {
        min: sorted[0],
        max: sorted[len - 1],
        median: sorted[(len - 1) / 2],
        upward: trend > 0.0,
        lags: order,
    }
}

/// Python's `repr` of a float: the shortest digits that read back, in fixed notation with at
/// least one decimal (`1.0`, `0.0001`) for exponents from -4 to 15, else scientific with a signed
/// two-digit exponent (`1e-05`, `1.5e+16`).
pub fn python_float(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let sci = format!("{:e}", v.abs()); // "d.ddde-x", shortest round-trip digits
    let (mantissa, exp) = sci.split_once('e').expect("LowerExp writes an exponent");
    let exp: i32 = exp.parse().expect("integer exponent");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if v.is_sign_negative() { "-" } else { "" };
    if v == 0.0 {
        return format!("{sign}0.0");
    }
    if !(-4..16).contains(&exp) {
        let m = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let es = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{m}e{es}{:02}", exp.abs());
    }
    let point = exp + 1; // digits before the decimal point
    let body = if point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
    } else {
        let p = point as usize;
        format!("{}.{}", &digits[..p], &digits[p..])
    };
    format!("{sign}{body}")
}

/// NeuralForecast's prompt for one window. A missing `prefix` is written `None` (its f-string
/// of `prompt_prefix=None`), and the text says "top 5 lags" whatever `top_k` is.
pub fn prompt(prefix: Option<&str>, h: usize, input_size: usize, s: &WindowStats) -> String {
    let lags: Vec<String> = s.lags.iter().map(usize::to_string).collect();
    format!(
        "<|start_prompt|>{}Task description: forecast the next {h} steps given the previous \
         {input_size} steps information; Input statistics: min value {}, max value {}, median \
         value {}, the trend of input is {}, top 5 lags are : [{}]<|<end_prompt>|>",
        prefix.unwrap_or("None"),
        python_float(f64::from(s.min)),
        python_float(f64::from(s.max)),
        python_float(f64::from(s.median)),
        if s.upward { "upward" } else { "downward" },
        lags.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_python_prints_them() {
        let cases = [
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (0.0001, "0.0001"),
            (1e-5, "1e-05"),
            (1.5e16, "1.5e+16"),
            (123456789.0, "123456789.0"),
            (f64::from(0.1f32), "0.10000000149011612"),
            (f64::from(-1.2345f32), "-1.2345000505447388"),
            (f64::from(3.0e-7f32), "3.000000106112566e-07"),
        ];
        for (v, want) in cases {
            assert_eq!(python_float(v), want, "{v}");
        }
    }

    #[test]
    fn statistics_follow_torch() {
        let x = [3.0f32, 1.0, 4.0, 1.0, 5.0, 9.0];
        let s = window_stats(&x, 3);
        assert_eq!((s.min, s.max, s.median, s.upward), (1.0, 9.0, 3.0, true));
        assert_eq!(s.lags[0], 0);
        // Mirrored lags have equal autocorrelation: the smaller comes first.
        let s = window_stats(&[1.0, 2.0, 0.0, -1.0, 0.5, 2.0, 1.0, 0.0], 8);
        let pos = |k: usize| s.lags.iter().position(|&l| l == k).unwrap();
        assert!(pos(1) < pos(7) && pos(2) < pos(6) && pos(3) < pos(5));
        // Odd lengths give `len - 1` lags, as irfft does.
        assert_eq!(window_stats(&[1.0, 2.0, 3.0], 2).lags.len(), 2);
        assert!(!window_stats(&[2.0, 1.0], 1).upward);
    }

    #[test]
    fn prompt_wording_is_neuralforecasts() {
        let s = WindowStats {
            min: -1.0,
            max: 2.0,
            median: 0.5,
            upward: false,
            lags: vec![0, 1, 23],
        };
        assert_eq!(
            prompt(None, 12, 24, &s),
            "<|start_prompt|>NoneTask description: forecast the next 12 steps given the previous \
             24 steps information; Input statistics: min value -1.0, max value 2.0, median value \
             0.5, the trend of input is downward, top 5 lags are : [0, 1, 23]<|<end_prompt>|>"
        );
    }
}
