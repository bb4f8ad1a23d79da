//! How long a rollout takes: a model fitted to the alerts' measured times.
//!
//! The pages measured one package with one UpdateEXPERT console at 50, 100,
//! 250 and 500 machines (e.g. 34, 43, 68 and 110 minutes). Those points lie
//! almost exactly on a line: a fixed cost (preparing the console,
//! distributing the package, the first reboot cycle) plus a cost per
//! machine. So the model is a least-squares line through the points,
//!
//! ```text
//! t(n) = a + b·n      (minutes; a = intercept, b = minutes per machine)
//! ```
//!
//! fitted per package. On the seed alerts every point is within 0.33
//! minutes of its line (see [`RolloutModel::max_abs_residual`], `hfr fleet
//! rollout` and the README's table); a power law `c·n^k` through the same
//! points misses by up to 6.7 minutes, because the measured growth is
//! linear, not sub-linear. The packages differ in their fixed cost (4 to 26
//! minutes) far more than in their pace (0.168-0.171 minutes a machine), so
//! one pooled line for all misses by up to 12 minutes: a package's own
//! line comes first. Outside 50-500 machines the line is extrapolated: below 50
//! the fixed cost dominates (the estimate never goes under `a`), above 500
//! it assumes the console keeps its pace, which is what one console did
//! between 250 and 500.
//!
//! A package without measurements takes the line of another package of
//! the same alert, else the pooled line through every measured point of
//! the archive; with no measurement anywhere there is no estimate.

use std::collections::BTreeMap;

use serde::Serialize;

/// A line `t(n) = intercept + slope·n`, in minutes, and the points it was
/// fitted to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RolloutModel {
    pub intercept: f64,
    pub slope: f64,
    /// The measured (machines, minutes) points.
    pub points: Vec<(u32, u32)>,
    /// Where the line came from.
    pub basis: ModelBasis,
}

/// Which measurements a model was fitted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelBasis {
    /// The package's own measurements.
    Package,
    /// Another package of the same alert.
    Alert,
    /// Every measured point in the archive.
    Pooled,
}

impl RolloutModel {
    /// The least-squares line through `points` (machines → minutes). One
    /// point gives a line through the origin's proportion; none gives
    /// `None`.
    pub fn fit(points: &BTreeMap<u32, u32>, basis: ModelBasis) -> Option<RolloutModel> {
        let pts: Vec<(u32, u32)> = points.iter().map(|(n, t)| (*n, *t)).collect();
        Self::fit_points(pts, basis)
    }

    fn fit_points(pts: Vec<(u32, u32)>, basis: ModelBasis) -> Option<RolloutModel> {
        let pts: Vec<(u32, u32)> = pts.into_iter().filter(|(n, _)| *n > 0).collect();
        let (intercept, slope) = match pts.len() {
            0 => return None,
            1 => (0.0, pts[0].1 as f64 / pts[0].0 as f64),
            _ => {
                let k = pts.len() as f64;
                let mx = pts.iter().map(|p| p.0 as f64).sum::<f64>() / k;
                let my = pts.iter().map(|p| p.1 as f64).sum::<f64>() / k;
                let sxx: f64 = pts.iter().map(|p| (p.0 as f64 - mx).powi(2)).sum();
                let sxy: f64 = pts
                    .iter()
                    .map(|p| (p.0 as f64 - mx) * (p.1 as f64 - my))
                    .sum();
                if sxx == 0.0 {
                    (0.0, my / mx)
                } else {
                    let slope = sxy / sxx;
                    (my - slope * mx, slope)
                }
            }
        };
        Some(RolloutModel {
            intercept,
            slope,
            points: pts,
            basis,
        })
    }

    /// The pooled line through every point of `models` (their own points).
    pub fn pooled<'a>(models: impl IntoIterator<Item = &'a RolloutModel>) -> Option<RolloutModel> {
        let pts: Vec<(u32, u32)> = models
            .into_iter()
            .filter(|m| m.basis == ModelBasis::Package)
            .flat_map(|m| m.points.iter().copied())
            .collect();
        Self::fit_points(pts, ModelBasis::Pooled)
    }

    /// Minutes for `n` machines: 0 for none, never less than the fixed
    /// cost (or the per-machine cost of one machine, for a line that
    /// slopes oddly).
    pub fn estimate(&self, n: usize) -> f64 {
        if n == 0 {
            return 0.0;
        }
        let t = self.intercept + self.slope * n as f64;
        t.max(self.intercept.max(0.0)).max(self.slope.abs())
    }

    /// Measured minus fitted, per point.
    pub fn residuals(&self) -> Vec<(u32, f64)> {
        self.points
            .iter()
            .map(|&(n, t)| (n, t as f64 - (self.intercept + self.slope * n as f64)))
            .collect()
    }

    pub fn max_abs_residual(&self) -> f64 {
        self.residuals()
            .iter()
            .map(|(_, r)| r.abs())
            .fold(0.0, f64::max)
    }
}

/// The power law `t = c·n^k` through the points (least squares in log
/// space), kept for the comparison the docs report: it fits the pages'
/// measurements worse than the line.
pub fn power_law(points: &BTreeMap<u32, u32>) -> Option<(f64, f64)> {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .filter(|(n, t)| **n > 0 && **t > 0)
        .map(|(n, t)| ((*n as f64).ln(), (*t as f64).ln()))
        .collect();
    if pts.len() < 2 {
        return None;
    }
    let k = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / k;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / k;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if sxx == 0.0 {
        return None;
    }
    let exp = sxy / sxx;
    Some(((my - exp * mx).exp(), exp))
}

/// Minutes as the pages print them: `1時間50分`, `43分`.
pub fn format_minutes(m: f64) -> String {
    let total = m.round().max(0.0) as u64;
    match (total / 60, total % 60) {
        (0, m) => format!("{m}分"),
        (h, 0) => format!("{h}時間"),
        (h, m) => format!("{h}時間{m}分"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(v: [(u32, u32); 4]) -> BTreeMap<u32, u32> {
        v.into_iter().collect()
    }

    #[test]
    fn the_seed_measurements_lie_on_a_line() {
        // MS04-035's Windows Server 2003 package.
        let m = RolloutModel::fit(
            &pts([(50, 34), (100, 43), (250, 68), (500, 110)]),
            ModelBasis::Package,
        )
        .expect("a model");
        assert!((m.slope - 0.16837).abs() < 1e-4, "{}", m.slope);
        assert!((m.intercept - 25.867).abs() < 1e-2, "{}", m.intercept);
        assert!(m.max_abs_residual() < 0.5, "{:?}", m.residuals());
        assert_eq!(m.estimate(0), 0.0);
        assert!((m.estimate(1000) - 194.2).abs() < 0.1);
        // Never below the fixed cost.
        assert!(m.estimate(1) >= m.intercept);
        // The power law misses by more.
        let (c, k) = power_law(&pts([(50, 34), (100, 43), (250, 68), (500, 110)])).expect("fit");
        let worst = [(50u32, 34u32), (100, 43), (250, 68), (500, 110)]
            .iter()
            .map(|&(n, t)| (t as f64 - c * (n as f64).powf(k)).abs())
            .fold(0.0, f64::max);
        assert!(worst > m.max_abs_residual() * 4.0, "{worst}");
    }

    #[test]
    fn pooled_and_degenerate_fits() {
        let a = RolloutModel::fit(
            &pts([(50, 24), (100, 33), (250, 58), (500, 100)]),
            ModelBasis::Package,
        )
        .expect("a");
        let b = RolloutModel::fit(
            &pts([(50, 18), (100, 27), (250, 52), (500, 94)]),
            ModelBasis::Package,
        )
        .expect("b");
        let p = RolloutModel::pooled([&a, &b]).expect("pooled");
        assert_eq!(p.points.len(), 8);
        assert!((p.slope - a.slope).abs() < 1e-9);
        let one = RolloutModel::fit(&[(100, 50)].into_iter().collect(), ModelBasis::Package)
            .expect("one");
        assert_eq!(one.estimate(200), 100.0);
        assert!(RolloutModel::fit(&BTreeMap::new(), ModelBasis::Package).is_none());
    }

    #[test]
    fn minutes_read_like_the_pages() {
        assert_eq!(format_minutes(110.0), "1時間50分");
        assert_eq!(format_minutes(43.2), "43分");
        assert_eq!(format_minutes(120.0), "2時間");
    }
}
