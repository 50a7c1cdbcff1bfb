//! Force-directed layout: Fruchterman–Reingold with a Barnes–Hut quadtree and a central gravity.
//!
//! Every pair of nodes repels with force 1/d, every edge attracts with force d² (the ideal edge
//! length is the unit), and a gravity g·r pulls each node towards the centre so that separate
//! components stay on the page. With a 1/d repulsion a uniform disc of n nodes feels, at radius r,
//! a repulsion n·r/R² against a gravity g·r: the layout settles into a disc of radius √(n/g),
//! uniformly filled, with linked nodes pulled together inside it. Each step moves a node along
//! its net force by at most the temperature, which cools linearly to a small floor.
//!
//! Deterministic: the start is a seeded pseudo-random disc, each node's force is summed in a
//! fixed order (the parallel map keeps the order), so the same graph and seed give the same
//! positions on every machine and thread count.

use super::quadtree::{QuadTree, exact_repulsions};
use rayon::prelude::*;

/// Strength of the central gravity (the disc's radius is √(n/GRAVITY) edge lengths).
const GRAVITY: f64 = 2.0;

/// Below this many nodes the repulsion is summed exactly on the calling thread: for a local
/// graph that is cheaper than building a quadtree and going through the thread pool at every
/// step (and pages are already laid out in parallel).
const EXACT_BELOW: usize = 128;

/// Steps of the simulation (the figures below and for [`SMALL_ITERATIONS`] come from
/// `cargo test --release --lib layout_quality -- --ignored --nocapture`). On a clustered graph
/// of 3,000 nodes, against 200 steps: 80 steps leave the energy 0.41 % higher and the mean edge
/// length (relative to the mean distance of two nodes) 1.2 % longer; 100 steps 0.28 % and
/// 0.9 %, in a quarter more time.
const ITERATIONS: usize = 80;

/// Steps for a graph of fewer than [`EXACT_BELOW`] nodes: a few dozen nodes started on rings
/// settle sooner, and a 10,000-note site lays out 10,000 of them. On 200 neighbourhoods of 48
/// nodes, against 200 steps: 30 steps leave the energy 1.4 % higher and the edges 3.2 % longer
/// (40 steps: 1.0 % and 2.4 %; 20 steps: 2.2 % and 4.9 %).
const SMALL_ITERATIONS: usize = 30;

/// Temperature the cooling ends at (in edge lengths per step).
const FINAL_TEMPERATURE: f64 = 0.01;

/// Positions of nodes `0..n` linked by `edges` (pairs of node indices; duplicates and loops are
/// harmless), in units of the ideal edge length, centred on the origin.
pub(super) fn layout(n: usize, edges: &[(usize, usize)], seed: u64) -> Vec<(f64, f64)> {
    let steps = if n < EXACT_BELOW {
        SMALL_ITERATIONS
    } else {
        ITERATIONS
    };
    layout_in(n, edges, seed, steps)
}

/// [`layout`] in `iterations` steps.
fn layout_in(n: usize, edges: &[(usize, usize)], seed: u64, iterations: usize) -> Vec<(f64, f64)> {
    if n < 2 {
        return vec![(0.0, 0.0); n];
    }
    let radius = (n as f64 / GRAVITY).sqrt();
    let small = n < EXACT_BELOW;
    let mut positions: Vec<(f64, f64)> = if small {
        rings(n, edges, seed, radius)
    } else {
        (0..n)
            .map(|i| start_position(seed, i as u64, radius))
            .collect()
    };
    // Rings are close to the end result: the simulation starts cooler there.
    let start_temperature = radius / if small { 8.0 } else { 4.0 } + FINAL_TEMPERATURE;
    for step in 0..iterations {
        let progress = step as f64 / iterations as f64;
        let temperature =
            FINAL_TEMPERATURE + (start_temperature - FINAL_TEMPERATURE) * (1.0 - progress);
        let mut forces = repulsion_and_gravity(&positions);
        for &(a, b) in edges {
            if a == b {
                continue;
            }
            let (dx, dy) = (
                positions[a].0 - positions[b].0,
                positions[a].1 - positions[b].1,
            );
            let d = (dx * dx + dy * dy).sqrt();
            // Attraction d² along the unit vector (dx, dy) / d.
            forces[a].0 -= dx * d;
            forces[a].1 -= dy * d;
            forces[b].0 += dx * d;
            forces[b].1 += dy * d;
        }
        for (p, (fx, fy)) in positions.iter_mut().zip(forces) {
            let norm = (fx * fx + fy * fy).sqrt();
            if norm > 0.0 {
                let step = norm.min(temperature) / norm;
                p.0 += fx * step;
                p.1 += fy * step;
            }
        }
    }
    centre(&mut positions);
    positions
}

/// The repulsion of all the other nodes (exact for a small graph, else Barnes–Hut) plus the
/// gravity, per node.
fn repulsion_and_gravity(positions: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let with_gravity =
        |(rx, ry): (f64, f64), (x, y): (f64, f64)| (rx - GRAVITY * x, ry - GRAVITY * y);
    if positions.len() < EXACT_BELOW {
        return exact_repulsions(positions, 1.0)
            .into_iter()
            .zip(positions)
            .map(|(force, &p)| with_gravity(force, p))
            .collect();
    }
    let tree = QuadTree::new(positions);
    (0..positions.len())
        .into_par_iter()
        .map(|i| with_gravity(tree.repulsion(i, 1.0), positions[i]))
        .collect()
}

/// The start of a small graph: node 0 (the centre of a local graph) in the middle, the others
/// on rings by their distance in links from it (those it does not reach on the outermost),
/// each ring in the order of the nodes' parents on the ring inside, turned by the seed.
fn rings(n: usize, edges: &[(usize, usize)], seed: u64, radius: f64) -> Vec<(f64, f64)> {
    let mut around = vec![Vec::new(); n];
    for &(a, b) in edges {
        if a != b {
            around[a].push(b);
            around[b].push(a);
        }
    }
    // Breadth first from node 0: each node's depth and parent.
    let mut depth = vec![usize::MAX; n];
    let mut parent = vec![0usize; n];
    let mut queue = std::collections::VecDeque::from([0]);
    depth[0] = 0;
    while let Some(node) = queue.pop_front() {
        for &m in &around[node] {
            if depth[m] == usize::MAX {
                depth[m] = depth[node] + 1;
                parent[m] = node;
                queue.push_back(m);
            }
        }
    }
    let reached = depth.iter().copied().filter(|&d| d != usize::MAX).max();
    let outer = reached.unwrap_or(0) + usize::from(depth.contains(&usize::MAX));
    let turn = std::f64::consts::TAU * unit(splitmix64(seed));
    // Each ring in the order of the parents' places on the ring inside (the unreached
    // nodes, on the outermost ring, by index).
    let mut place = vec![0usize; n];
    let mut positions = vec![(0.0, 0.0); n];
    for ring in 1..=outer {
        let on_ring = |i: usize| match depth[i] {
            usize::MAX => ring == outer,
            d => d == ring,
        };
        let mut members: Vec<usize> = (0..n).filter(|&i| on_ring(i)).collect();
        members.sort_by_key(|&i| match depth[i] {
            usize::MAX => (usize::MAX, i),
            _ => (place[parent[i]], i),
        });
        let r = radius * ring as f64 / outer as f64;
        for (k, &i) in members.iter().enumerate() {
            place[i] = k;
            let angle = turn + std::f64::consts::TAU * (k as f64 + 0.5) / members.len() as f64;
            positions[i] = (r * angle.cos(), r * angle.sin());
        }
    }
    positions
}

/// A seeded pseudo-random point of the disc of `radius` for node `i` (uniform in area).
fn start_position(seed: u64, i: u64, radius: f64) -> (f64, f64) {
    let a = unit(splitmix64(seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15)));
    let b = unit(splitmix64(
        seed.wrapping_add(1) ^ i.wrapping_mul(0xC2B2_AE3D_27D4_EB4F),
    ));
    let r = radius * a.sqrt();
    let angle = std::f64::consts::TAU * b;
    (r * angle.cos(), r * angle.sin())
}

/// SplitMix64 (Steele, Lea, Flood 2014): a fixed, well-mixed hash of a 64-bit value.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The top 53 bits of `x` as a number in [0, 1).
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Moves the positions so that their bounding box is centred on the origin.
fn centre(positions: &mut [(f64, f64)]) {
    let (min_x, max_x) = positions.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p.0), hi.max(p.0))
    });
    let (min_y, max_y) = positions.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p.1), hi.max(p.1))
    });
    let (cx, cy) = ((min_x + max_x) / 2.0, (min_y + max_y) / 2.0);
    for p in positions {
        p.0 -= cx;
        p.1 -= cy;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distance(a: (f64, f64), b: (f64, f64)) -> f64 {
        ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
    }

    #[test]
    fn the_same_graph_and_seed_give_the_same_positions() {
        let edges: Vec<(usize, usize)> = (1..60).map(|i| (i, i / 3)).collect();
        assert_eq!(layout(60, &edges, 7), layout(60, &edges, 7));
        assert_ne!(layout(60, &edges, 7), layout(60, &edges, 8));
    }

    #[test]
    fn linked_nodes_end_closer_than_unlinked_ones() {
        // Two stars of 20 leaves, not linked to each other.
        let mut edges = Vec::new();
        for leaf in 1..=20 {
            edges.push((0, leaf));
            edges.push((21, 21 + leaf));
        }
        let p = layout(42, &edges, 1);
        let within: f64 = (1..=20).map(|l| distance(p[0], p[l])).sum::<f64>() / 20.0;
        let across: f64 = (1..=20).map(|l| distance(p[0], p[21 + l])).sum::<f64>() / 20.0;
        assert!(within < across / 1.5, "within {within}, across {across}");
        assert!(p.iter().all(|q| q.0.is_finite() && q.1.is_finite()));
    }

    #[test]
    fn a_neighbourhood_keeps_its_centre_in_the_middle() {
        // Node 0, its 8 neighbours, and 3 more around each of them.
        let mut edges: Vec<(usize, usize)> = (1..=8).map(|k| (0, k)).collect();
        edges.extend((1..=8).flat_map(|k| (0..3).map(move |j| (k, 9 + 3 * (k - 1) + j))));
        let p = layout(33, &edges, 5);
        let mean = |nodes: &mut dyn Iterator<Item = usize>| {
            let d: Vec<f64> = nodes.map(|i| distance(p[0], p[i])).collect();
            d.iter().sum::<f64>() / d.len() as f64
        };
        let (near, far) = (mean(&mut (1..=8)), mean(&mut (9..33)));
        assert!(near < 0.75 * far, "neighbours {near}, theirs {far}");
        assert!(
            distance(p[0], (0.0, 0.0)) < near,
            "the centre is off: {:?}",
            p[0]
        );
    }

    #[test]
    fn no_two_nodes_share_a_place() {
        let p = layout(200, &[], 3);
        for i in 0..p.len() {
            for j in i + 1..p.len() {
                assert!(distance(p[i], p[j]) > 0.05, "{i} and {j} overlap");
            }
        }
    }

    /// The layout's energy (what the forces derive from: d³/3 per edge, −ln d per pair, the
    /// gravity g·r²/2 per node) and its mean edge length over the mean distance of two nodes.
    fn quality(p: &[(f64, f64)], edges: &[(usize, usize)]) -> (f64, f64) {
        let (mut energy, mut pairs, mut count) = (0.0, 0.0, 0.0);
        for i in 0..p.len() {
            energy += GRAVITY * (p[i].0.powi(2) + p[i].1.powi(2)) / 2.0;
            for j in i + 1..p.len() {
                let d = distance(p[i], p[j]);
                energy -= d.ln();
                pairs += d;
                count += 1.0;
            }
        }
        let mut length = 0.0;
        for &(a, b) in edges {
            let d = distance(p[a], p[b]);
            energy += d.powi(3) / 3.0;
            length += d;
        }
        (energy, length / edges.len() as f64 / (pairs / count))
    }

    /// Prints how far fewer steps leave the layout from 200 steps' (energy and edge length, in
    /// %), for a clustered graph of 3,000 nodes and for 200 neighbourhoods of 48 nodes.
    #[test]
    #[ignore = "a measurement: run with --release --ignored --nocapture"]
    fn layout_quality() {
        let mut state = 99u64;
        let mut pick = |m: usize| {
            state = splitmix64(state);
            (state % m as u64) as usize
        };
        let excess = |graphs: &[(usize, Vec<(usize, usize)>)], steps: usize| {
            let mut total = (0.0, 0.0);
            for (seed, (n, edges)) in graphs.iter().enumerate() {
                let reference = quality(&layout_in(*n, edges, seed as u64, 200), edges);
                let got = quality(&layout_in(*n, edges, seed as u64, steps), edges);
                total.0 += 100.0 * (got.0 - reference.0) / reference.0.abs();
                total.1 += 100.0 * (got.1 / reference.1 - 1.0);
            }
            let n = graphs.len() as f64;
            (total.0 / n, total.1 / n)
        };
        // Clusters of 50, most links inside them.
        let n = 3000;
        let mut edges = Vec::new();
        for k in 1..n {
            for _ in 0..3 {
                let t = if pick(10) < 8 {
                    k / 50 * 50 + pick(50)
                } else {
                    pick(n)
                };
                if t != k && t < n {
                    edges.push((k, t));
                }
            }
        }
        let global = [(n, edges)];
        for steps in [60, 80, 100] {
            let (energy, length) = excess(&global, steps);
            println!(
                "3,000 nodes, {steps} steps: energy +{energy:.2} %, edge length +{length:.2} %"
            );
        }
        // A centre, 15 to 29 neighbours, the rest linked to them, and 15 random links.
        let local: Vec<(usize, Vec<(usize, usize)>)> = (0..200)
            .map(|_| {
                let first = 15 + pick(15);
                let mut edges: Vec<(usize, usize)> = (1..=first).map(|k| (0, k)).collect();
                edges.extend((first + 1..48).map(|k| (1 + pick(first), k)));
                edges.extend(
                    (0..15)
                        .map(|_| (pick(48), pick(48)))
                        .filter(|(a, b)| a != b),
                );
                (48, edges)
            })
            .collect();
        for steps in [20, 30, 40] {
            let (energy, length) = excess(&local, steps);
            println!("48 nodes, {steps} steps: energy +{energy:.2} %, edge length +{length:.2} %");
        }
    }

    #[test]
    fn tiny_graphs_are_laid_out() {
        assert!(layout(0, &[], 0).is_empty());
        assert_eq!(layout(1, &[], 0), [(0.0, 0.0)]);
        let two = layout(2, &[(0, 1)], 0);
        assert!(distance(two[0], two[1]) > 0.1);
    }
}
