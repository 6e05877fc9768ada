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

    /// The address of a CPU f64 tensor's buffer.
    fn buffer(t: &Tensor) -> Result<usize> {
        let (storage, _) = t.storage_and_layout();
        match &*storage {
            candle_core::Storage::Cpu(candle_core::CpuStorage::F64(v)) => Ok(v.as_ptr() as usize),
            _ => Err(BaliError::Internal("expected a CPU f64 tensor".into())),
        }
    }

    /// candle-core is patched (`patches/candle-core`): a node's first gradient is stored as it
    /// is, and an embedding table's rows are added in place. Tensors used several times (both
    /// sides of one addition, two lookups of one table with repeated rows, transposed and
    /// broadcast uses) must still get the summed gradient, and no stored gradient may share a
    /// buffer with another gradient or a forward tensor.
    #[test]
    fn the_patched_gradient_store_sums_every_use_and_shares_no_buffer() -> Result<()> {
        let dev = Device::Cpu;
        let values = |n: usize, seed: f64| -> Vec<f64> {
            (0..n).map(|i| ((i as f64 + seed) * 0.7).sin()).collect()
        };
        let table = Var::from_tensor(&Tensor::from_vec(values(21, 1.0), (7, 3), &dev)?)?;
        let a = Var::from_tensor(&Tensor::from_vec(values(12, 2.0), (4, 3), &dev)?)?;
        let b = Var::from_tensor(&Tensor::from_vec(values(12, 3.0), (4, 3), &dev)?)?;
        let first = Tensor::new(&[1u32, 4, 1, 6], &dev)?;
        let second = Tensor::new(&[4u32, 4, 0, 2], &dev)?;
        let loss = || -> Result<Tensor> {
            let (t, a, b) = (table.as_tensor(), a.as_tensor(), b.as_tensor());
            let doubled = (a + a)?.mul(b)?.sum_all()?;
            let difference = (a - b)?.sqr()?.sum_all()?;
            let lookups = (t.index_select(&first, 0)? * t.index_select(&second, 0)?.exp()?)?
                .mul(a)?
                .sum_all()?;
            let product = a.t()?.matmul(b)?.tanh()?.sum_all()?;
            let row = b.broadcast_add(&t.narrow(0, 2, 1)?)?.sqr()?.sum_all()?;
            Ok((((doubled + difference)? + lookups)? + product)?.add(&row)?)
        };
        let out = check(&[table.clone(), a.clone(), b.clone()], loss, 1e-6, 21)?;
        assert!(out.max_error < 1e-8, "{out:?}");
        // `a + b`: one upstream gradient, two stored copies of it.
        let grads = (a.as_tensor() + b.as_tensor())?.sum_all()?.backward()?;
        let mut seen = vec![buffer(a.as_tensor())?, buffer(b.as_tensor())?];
        for var in [&a, &b] {
            let grad = grads
                .get(var.as_tensor())
                .ok_or(BaliError::Internal("no gradient".into()))?;
            assert_eq!(grad.to_vec2::<f64>()?, vec![vec![1.0; 3]; 4]);
            let at = buffer(grad)?;
            assert!(!seen.contains(&at), "a gradient shares a buffer");
            seen.push(at);
        }
        Ok(())
    }
}
