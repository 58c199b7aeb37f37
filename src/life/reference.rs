//! The reference step: cell by cell, obviously correct, slow. Every backend is tested against it.

use super::grid::Grid;
use super::rule::{Rule, Topology};

/// Computes one generation the plain way: for every cell, count the eight neighbours (taking
/// coordinates modulo the size on a torus, treating outside cells as dead when bounded) and apply
/// the rule. On tiny tori a neighbour may be the same cell more than once, and counts as often as
/// it appears, exactly as `grid[(y + dy) % h][(x + dx) % w]` would.
pub fn reference_step(grid: &Grid, rule: Rule, topology: Topology) -> Grid {
    let (w, h) = (grid.width() as i64, grid.height() as i64);
    let mut next = Grid::new(grid.width(), grid.height()).expect("same size as an existing grid");
    for y in 0..h {
        for x in 0..w {
            let mut neighbours = 0;
            for dy in -1..=1i64 {
                for dx in -1..=1i64 {
                    if dx == 0 && dy == 0 {
                        continue;
                    }
                    let (nx, ny) = (x + dx, y + dy);
                    let alive = match topology {
                        Topology::Torus => {
                            grid.get(nx.rem_euclid(w) as u32, ny.rem_euclid(h) as u32)
                        }
                        Topology::Bounded => {
                            (0..w).contains(&nx)
                                && (0..h).contains(&ny)
                                && grid.get(nx as u32, ny as u32)
                        }
                    };
                    neighbours += alive as u32;
                }
            }
            let alive = grid.get(x as u32, y as u32);
            if rule.next_state(alive, neighbours) {
                next.set(x as u32, y as u32, true);
            }
        }
    }
    next
}

/// Runs [`reference_step`] `generations` times.
pub fn reference_run(grid: &Grid, rule: Rule, topology: Topology, generations: u64) -> Grid {
    let mut g = grid.clone();
    for _ in 0..generations {
        g = reference_step(&g, rule, topology);
    }
    g
}
