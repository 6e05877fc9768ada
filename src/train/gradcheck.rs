//! Finite-difference gradient checks, used by the tests of every trainable layer and loss.
//!
//! candle records a backward pass only for the ops it knows how to differentiate; a fused op
//! without one (candle-nn's contiguous `LayerNorm`, `softmax_last_dim`) silently cuts the graph.
//! Comparing each analytic gradient with a central difference catches that, and any wrong
//! derivative, layer by layer.

use candle_core::{DType, Tensor, Var};

use crate::error::{BaliError, Result};

/// Outcome of one check: the worst relative error seen and where.
#[derive(Debug, Clone)]
pub struct GradCheck {
    /// Largest `|analytic - numeric| / max(1, |analytic|, |numeric|)` over the probed coordinates.
    pub max_error: f64,
    /// Index of the variable and flat coordinate where it occurred.
    pub worst: (usize, usize),
    /// Number of coordinates probed.
    pub probed: usize,
}

/// Checks the gradient of the scalar `loss(vars)` with respect to every variable.
///
/// Variables should be `F64` so that the central difference with step `eps` is accurate. At
/// most `per_var` coordinates of each variable are probed, spread evenly over it. A variable
/// that gets no gradient at all is an error (the graph was cut), not a pass.
pub fn check(
    vars: &[Var],
    loss: impl Fn() -> Result<Tensor>,
    eps: f64,
    per_var: usize,
) -> Result<GradCheck> {
    let value = loss()?;
    let grads = value.backward()?;
    let mut result = GradCheck {
        max_error: 0.0,
        worst: (0, 0),
        probed: 0,
    };
    for (vi, var) in vars.iter().enumerate() {
        if var.dtype() != DType::F64 {
            return Err(BaliError::Internal(format!(
                "gradcheck variable {vi} is {:?}; use F64",
                var.dtype()
            )));
        }
        let grad = grads.get(var.as_tensor()).ok_or_else(|| {
            BaliError::Internal(format!(
                "variable {vi} (shape {:?}) received no gradient: the graph is cut",
                var.shape()
            ))
        })?;
        let analytic: Vec<f64> = grad.flatten_all()?.to_vec1()?;
        let original = var.as_tensor().copy()?;
        let flat: Vec<f64> = original.flatten_all()?.to_vec1()?;
        let n = flat.len();
        let step = (n / per_var.max(1)).max(1);
        for i in (0..n).step_by(step).take(per_var) {
            let mut plus = flat.clone();
            plus[i] += eps;
            var.set(&Tensor::from_vec(plus, var.shape(), var.device())?)?;
            let f_plus: f64 = loss()?.to_dtype(DType::F64)?.to_scalar()?;
            let mut minus = flat.clone();
            minus[i] -= eps;
            var.set(&Tensor::from_vec(minus, var.shape(), var.device())?)?;
            let f_minus: f64 = loss()?.to_dtype(DType::F64)?.to_scalar()?;
            var.set(&original)?;
            let numeric = (f_plus - f_minus) / (2.0 * eps);
            let err =
                (analytic[i] - numeric).abs() / 1f64.max(analytic[i].abs()).max(numeric.abs());
            if err > result.max_error {
                result.max_error = err;
                result.worst = (vi, i);
            }
            result.probed += 1;
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn matches_a_known_derivative() -> Result<()> {
        let dev = Device::Cpu;
        let x = Var::from_tensor(&Tensor::new(&[0.3f64, -1.2, 2.0], &dev)?)?;
        // d/dx sum(x^3) = 3x^2
        let out = check(
            std::slice::from_ref(&x),
            || Ok(x.as_tensor().powf(3.0)?.sum_all()?),
            1e-5,
            3,
        )?;
        assert!(out.max_error < 1e-7, "{out:?}");
        assert_eq!(out.probed, 3);
        Ok(())
    }

    #[test]
    fn a_cut_graph_is_an_error() -> Result<()> {
        let dev = Device::Cpu;
        let x = Var::from_tensor(&Tensor::new(&[0.3f64, -1.2], &dev)?)?;
        // detach() cuts the graph: the check must fail rather than pass vacuously.
        let res = check(
            std::slice::from_ref(&x),
            || Ok(x.as_tensor().detach().sqr()?.sum_all()?),
            1e-5,
            2,
        );
        assert!(res.is_err());
        Ok(())
    }
}
