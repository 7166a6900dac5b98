//! The hot loops, compiled twice: for AVX2 (picked at run time when the CPU has it) and
//! for the baseline x86-64 / other targets, so they vectorise without build flags.

/// Whether the AVX2 versions can run here (the answer is cached by std).
#[cfg(target_arch = "x86_64")]
#[inline]
fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

macro_rules! dispatch {
    ($body:ident, $avx2:ident, ($($arg:ident: $ty:ty),*)) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2")]
        fn $avx2($($arg: $ty),*) {
            $body($($arg),*)
        }

        #[cfg(target_arch = "x86_64")]
        if has_avx2() {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { $avx2($($arg),*) };
        }
        $body($($arg),*)
    };
}

/// `out = scale · Σ_k factor(k, idx[k]) · src[idx[k]·l ..][..l]`, `l = out.len()`: the body
/// of both weighted sums (inlined, so each compiles to its own vectorised loop).
#[inline(always)]
fn factored_rows(
    out: &mut [f32],
    idx: &[u32],
    src: &[f32],
    scale: f32,
    factor: impl Fn(usize, usize) -> f32,
) {
    let l = out.len();
    out.fill(0.0);
    for (k, &i) in idx.iter().enumerate() {
        let i = i as usize;
        let a = factor(k, i);
        for (o, v) in out.iter_mut().zip(&src[i * l..(i + 1) * l]) {
            *o += a * v;
        }
    }
    for o in out.iter_mut() {
        *o *= scale;
    }
}

#[inline(always)]
fn weighted_rows_body(out: &mut [f32], idx: &[u32], weight: &[f32], src: &[f32], scale: f32) {
    factored_rows(out, idx, src, scale, |_, i| weight[i]);
}

/// `out = scale · Σ_{i ∈ idx} weight[i] · src[i·l .. (i+1)·l]` with `l = out.len()`.
pub fn weighted_rows(out: &mut [f32], idx: &[u32], weight: &[f32], src: &[f32], scale: f32) {
    dispatch!(
        weighted_rows_body,
        weighted_rows_avx2,
        (out: &mut [f32], idx: &[u32], weight: &[f32], src: &[f32], scale: f32)
    );
}

#[inline(always)]
fn valued_rows_body(out: &mut [f32], idx: &[u32], val: &[f32], w: &[f32], src: &[f32], s: f32) {
    factored_rows(out, idx, src, s, |k, i| val[k] * w[i]);
}

/// `out = s · Σ_k val[k] · w[idx[k]] · src[idx[k]·l ..][..l]` with `l = out.len()`:
/// [`weighted_rows`] with a value per entry as well.
pub fn valued_rows(out: &mut [f32], idx: &[u32], val: &[f32], w: &[f32], src: &[f32], s: f32) {
    dispatch!(
        valued_rows_body,
        valued_rows_avx2,
        (out: &mut [f32], idx: &[u32], val: &[f32], w: &[f32], src: &[f32], s: f32)
    );
}

#[inline(always)]
fn sum_rows_body(out: &mut [f32], idx: &[u32], src: &[f32], stride: usize) {
    let l = out.len();
    let row = |i: u32| {
        let start = i as usize * stride;
        &src[start..start + l]
    };
    out.fill(0.0);
    // Four rows per pass over `out`: a quarter of the loads and stores of `out`.
    let mut quads = idx.chunks_exact(4);
    for q in &mut quads {
        let (a, b, c, d) = (row(q[0]), row(q[1]), row(q[2]), row(q[3]));
        let rows = a.iter().zip(b).zip(c.iter().zip(d));
        for (o, ((a, b), (c, d))) in out.iter_mut().zip(rows) {
            *o += (a + b) + (c + d);
        }
    }
    for &i in quads.remainder() {
        for (o, v) in out.iter_mut().zip(row(i)) {
            *o += v;
        }
    }
}

/// `out = Σ_{i ∈ idx} src[i·stride .. i·stride + out.len()]`.
pub fn sum_rows(out: &mut [f32], idx: &[u32], src: &[f32], stride: usize) {
    dispatch!(
        sum_rows_body,
        sum_rows_avx2,
        (out: &mut [f32], idx: &[u32], src: &[f32], stride: usize)
    );
}

#[inline(always)]
fn scale_by_body(out: &mut [f32], by: &[f32], factor: f32) {
    for (o, b) in out.iter_mut().zip(by) {
        *o *= b * factor;
    }
}

/// `out[j] *= by[j] · factor`.
pub fn scale_by(out: &mut [f32], by: &[f32], factor: f32) {
    dispatch!(
        scale_by_body,
        scale_by_avx2,
        (out: &mut [f32], by: &[f32], factor: f32)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_match_their_definitions() {
        let src: Vec<f32> = (0..40).map(|v| v as f32).collect();
        let mut out = vec![9.0; 4];
        weighted_rows(&mut out, &[1, 3], &[0.0, 2.0, 0.0, 0.5], &src, 10.0);
        // 10 · (2·[4,5,6,7] + 0.5·[12,13,14,15])
        assert_eq!(out, vec![140.0, 165.0, 190.0, 215.0]);
        let mut out = vec![9.0; 4];
        valued_rows(
            &mut out,
            &[1, 3],
            &[3.0, 2.0],
            &[0.0, 2.0, 0.0, 0.5],
            &src,
            10.0,
        );
        // 10 · (3·2·[4,5,6,7] + 2·0.5·[12,13,14,15])
        assert_eq!(out, vec![360.0, 430.0, 500.0, 570.0]);
        let mut out = vec![9.0; 3];
        sum_rows(&mut out, &[0, 2], &src, 10);
        assert_eq!(out, vec![20.0, 22.0, 24.0]);
        // Four rows at a time and the rest one by one.
        let mut out = vec![9.0; 2];
        sum_rows(&mut out, &[0, 1, 2, 3, 1, 2], &src, 10);
        assert_eq!(out, vec![90.0, 96.0]);
        let mut out = vec![1.0, 2.0];
        scale_by(&mut out, &[3.0, -1.0], 2.0);
        assert_eq!(out, vec![6.0, -4.0]);
    }
}
