//! A Barnes–Hut quadtree: the repulsion every point feels from all the others in O(n log n).
//!
//! Each cell holds the total mass and the centre of mass of the points inside it. A point far
//! from a cell (cell width / distance < θ) feels the cell as one body at its centre of mass;
//! otherwise the cell is opened and its children are looked at. Points are sorted into cells by
//! partitioning one index array in place, so every cell is a contiguous range of it.

/// Width / distance below which a cell is felt as one body (1.0: an error of about 1 % of the
/// total magnitude, enough for a layout).
const THETA: f64 = 1.0;

/// Depth at which cells stop splitting (points closer than the extent / 2^MAX_DEPTH share a leaf).
const MAX_DEPTH: u32 = 24;

/// One cell.
#[derive(Debug, Clone, Copy)]
struct Cell {
    /// Total mass inside.
    mass: f64,
    /// Centre of mass.
    x: f64,
    /// Centre of mass.
    y: f64,
    /// Width of the square.
    width: f64,
    /// Range of `order` holding its points.
    start: u32,
    /// End of that range.
    end: u32,
    /// Index of its first child in `cells` (children are consecutive, up to four); 0 for a leaf.
    first_child: u32,
    /// How many children it has.
    children: u8,
}

/// The tree over a set of points of unit mass.
#[derive(Debug)]
pub(super) struct QuadTree<'a> {
    points: &'a [(f64, f64)],
    /// Point indices, grouped by cell.
    order: Vec<u32>,
    cells: Vec<Cell>,
}

impl<'a> QuadTree<'a> {
    /// Builds the tree over `points`.
    pub fn new(points: &'a [(f64, f64)]) -> QuadTree<'a> {
        let mut tree = QuadTree {
            points,
            order: (0..points.len() as u32).collect(),
            cells: Vec::with_capacity(points.len() * 2),
        };
        if points.is_empty() {
            return tree;
        }
        let (mut min_x, mut min_y, mut max_x, mut max_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for &(x, y) in points {
            min_x = min_x.min(x);
            min_y = min_y.min(y);
            max_x = max_x.max(x);
            max_y = max_y.max(y);
        }
        let width = (max_x - min_x).max(max_y - min_y).max(1e-9);
        tree.cells.push(tree.cell(0, points.len() as u32, width));
        tree.split(0, min_x, min_y, 0);
        tree
    }

    /// A leaf over `order[start..end]` with its mass and centre of mass.
    fn cell(&self, start: u32, end: u32, width: f64) -> Cell {
        let (mut sx, mut sy) = (0.0, 0.0);
        for &i in &self.order[start as usize..end as usize] {
            sx += self.points[i as usize].0;
            sy += self.points[i as usize].1;
        }
        let mass = f64::from(end - start);
        Cell {
            mass,
            x: sx / mass,
            y: sy / mass,
            width,
            start,
            end,
            first_child: 0,
            children: 0,
        }
    }

    /// Splits cell `c` (its square's corner at `x0, y0`) into its non-empty quadrants, recursively.
    fn split(&mut self, c: usize, x0: f64, y0: f64, depth: u32) {
        let Cell {
            start, end, width, ..
        } = self.cells[c];
        if end - start <= 1 || depth >= MAX_DEPTH {
            return;
        }
        let half = width / 2.0;
        let (mid_x, mid_y) = (x0 + half, y0 + half);
        let points = self.points;
        let quadrant = |i: &u32| {
            let (x, y) = points[*i as usize];
            u8::from(x >= mid_x) + 2 * u8::from(y >= mid_y)
        };
        self.order[start as usize..end as usize].sort_unstable_by_key(quadrant);
        let first_child = self.cells.len() as u32;
        let mut bounds = Vec::with_capacity(4);
        let mut lo = start;
        for q in 0..4u8 {
            let hi = lo
                + self.order[lo as usize..end as usize]
                    .iter()
                    .take_while(|i| quadrant(i) == q)
                    .count() as u32;
            if hi > lo {
                let corner = (x0 + half * f64::from(q & 1), y0 + half * f64::from(q >> 1));
                self.cells.push(self.cell(lo, hi, half));
                bounds.push(corner);
            }
            lo = hi;
        }
        self.cells[c].first_child = first_child;
        self.cells[c].children = bounds.len() as u8;
        for (k, (cx, cy)) in bounds.into_iter().enumerate() {
            self.split(first_child as usize + k, cx, cy, depth + 1);
        }
    }

    /// The sum over every other point `j` of `strength · (p_i − p_j) / |p_i − p_j|²`: the
    /// repulsion `strength / distance` that point `i` feels, directed away from the others.
    pub fn repulsion(&self, i: usize, strength: f64) -> (f64, f64) {
        let (px, py) = self.points[i];
        let mut force = (0.0, 0.0);
        // Each level below the root leaves at most three siblings waiting.
        let mut stack = [0u32; 3 * MAX_DEPTH as usize + 4];
        let mut waiting = usize::from(!self.cells.is_empty());
        while waiting > 0 {
            waiting -= 1;
            let cell = &self.cells[stack[waiting] as usize];
            let (dx, dy) = (px - cell.x, py - cell.y);
            let d2 = dx * dx + dy * dy;
            if cell.children == 0 {
                for &j in &self.order[cell.start as usize..cell.end as usize] {
                    if j as usize != i {
                        let (qx, qy) = self.points[j as usize];
                        add(&mut force, px - qx, py - qy, strength);
                    }
                }
            } else if cell.width * cell.width < THETA * THETA * d2 {
                add(&mut force, dx, dy, strength * cell.mass);
            } else {
                for k in 0..u32::from(cell.children) {
                    stack[waiting] = cell.first_child + k;
                    waiting += 1;
                }
            }
        }
        force
    }
}

/// Independent partial sums per point in [`exact_repulsions`]: lanes the compiler can compute
/// side by side (one running sum is a chain it may not reorder).
const LANES: usize = 4;

/// The exact repulsion of every other point on each point (what the tree approximates): the
/// cheaper sum for a few dozen points. Each pair is computed once and pushes both ends; the
/// pairs of one point are taken [`LANES`] at a time, each lane with its own partial sum, so that
/// the loop runs on vector instructions (the same order, so the same sums, on every machine).
pub fn exact_repulsions(points: &[(f64, f64)], strength: f64) -> Vec<(f64, f64)> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the processor has AVX (checked just above).
        return unsafe { exact_repulsions_avx(points, strength) };
    }
    exact_repulsions_in_lanes(points, strength)
}

/// [`exact_repulsions_in_lanes`] compiled for AVX: the four lanes in one instruction instead
/// of two. The same operations in the same order (AVX has no fused multiply-add), so the same
/// sums to the bit; a 10,000-note site lays out 10,000 local graphs with it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn exact_repulsions_avx(points: &[(f64, f64)], strength: f64) -> Vec<(f64, f64)> {
    exact_repulsions_in_lanes(points, strength)
}

/// The sum of [`exact_repulsions`], written for the compiler to put on vector instructions of
/// whatever width the caller was compiled for.
#[inline(always)]
fn exact_repulsions_in_lanes(points: &[(f64, f64)], strength: f64) -> Vec<(f64, f64)> {
    let n = points.len();
    let (xs, ys): (Vec<f64>, Vec<f64>) = points.iter().copied().unzip();
    let (mut fx, mut fy) = (vec![0.0; n], vec![0.0; n]);
    // strength · (dx, dy) / d², or nothing for coincident points.
    let push = |dx: f64, dy: f64| {
        let d2 = dx * dx + dy * dy;
        // Divided whatever d² (0 gives ∞, then dropped): a select, not a branch, so that the
        // lanes stay on vector instructions.
        let scale = strength / d2;
        let scale = if d2 > 1e-18 { scale } else { 0.0 };
        (dx * scale, dy * scale)
    };
    for i in 0..n {
        let (px, py) = (xs[i], ys[i]);
        let ((fx_head, fx_rest), (fy_head, fy_rest)) =
            (fx.split_at_mut(i + 1), fy.split_at_mut(i + 1));
        let (mut sum_x, mut sum_y) = ([0.0; LANES], [0.0; LANES]);
        let others = xs[i + 1..]
            .chunks_exact(LANES)
            .zip(ys[i + 1..].chunks_exact(LANES));
        let theirs = fx_rest
            .chunks_exact_mut(LANES)
            .zip(fy_rest.chunks_exact_mut(LANES));
        for ((qx, qy), (gx, gy)) in others.zip(theirs) {
            // The pushes of the four pairs first, then the sums: in one loop the compiler
            // keeps each lane apart (measured: scalar divisions); in two, one vector each.
            let (mut x, mut y) = ([0.0; LANES], [0.0; LANES]);
            for lane in 0..LANES {
                (x[lane], y[lane]) = push(px - qx[lane], py - qy[lane]);
            }
            for lane in 0..LANES {
                sum_x[lane] += x[lane];
                sum_y[lane] += y[lane];
                gx[lane] -= x[lane];
                gy[lane] -= y[lane];
            }
        }
        let done = (n - i - 1) / LANES * LANES;
        for j in i + 1 + done..n {
            let (x, y) = push(px - xs[j], py - ys[j]);
            sum_x[0] += x;
            sum_y[0] += y;
            fx_rest[j - i - 1] -= x;
            fy_rest[j - i - 1] -= y;
        }
        fx_head[i] += sum_x.iter().sum::<f64>();
        fy_head[i] += sum_y.iter().sum::<f64>();
    }
    fx.into_iter().zip(fy).collect()
}

/// Adds `strength · (dx, dy) / |(dx, dy)|²` to `force` (nothing for coincident points, which the
/// layout's jitter separates).
fn add(force: &mut (f64, f64), dx: f64, dy: f64, strength: f64) {
    let d2 = dx * dx + dy * dy;
    if d2 > 1e-18 {
        force.0 += strength * dx / d2;
        force.1 += strength * dy / d2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact sum, to compare the tree against, and the sum of the magnitudes of its terms.
    fn exact(points: &[(f64, f64)], i: usize) -> ((f64, f64), f64) {
        let magnitudes = points
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, &(x, y))| {
                1.0 / ((points[i].0 - x).powi(2) + (points[i].1 - y).powi(2)).sqrt()
            })
            .sum();
        (exact_repulsions(points, 1.0)[i], magnitudes)
    }

    #[test]
    fn the_tree_approximates_the_exact_repulsion() {
        let points: Vec<(f64, f64)> = (0..500)
            .map(|k| {
                let t = k as f64;
                ((t * 0.618).fract() * 100.0, (t * 0.414).fract() * 100.0)
            })
            .collect();
        let tree = QuadTree::new(&points);
        for i in 0..points.len() {
            let (ax, ay) = tree.repulsion(i, 1.0);
            let ((ex, ey), magnitudes) = exact(&points, i);
            let error = ((ax - ex).powi(2) + (ay - ey).powi(2)).sqrt();
            assert!(
                error < 0.02 * magnitudes,
                "point {i}: error {error}, terms {magnitudes}"
            );
        }
    }

    #[test]
    fn two_points_push_each_other_apart_and_coincident_ones_do_not_explode() {
        let tree = QuadTree::new(&[(0.0, 0.0), (2.0, 0.0), (2.0, 0.0)]);
        let (fx, fy) = tree.repulsion(0, 1.0);
        assert!((fx - -1.0).abs() < 1e-12 && fy == 0.0, "{fx} {fy}");
        assert!(tree.repulsion(1, 1.0).0.is_finite());
    }
}
