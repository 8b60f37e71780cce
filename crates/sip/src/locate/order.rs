//! The SRV selection order of RFC 2782 ("Usage rules"), with the caller's random numbers.

use super::SrvRecord;
use rand_core::RngCore;

/// The order in which to try `records`, as indices into it (RFC 2782 "Usage rules", RFC 3263
/// §4.3): priorities ascending, strictly; within one priority, a weighted random selection.
///
/// For each pick within a priority, the remaining records are listed with those of weight 0
/// first (in a random order, which RFC 2782's "any order" allows and which spreads load when
/// every weight is 0), a number is drawn uniformly from `0..=sum of weights`, and the first
/// record whose running sum of weights reaches it is taken next. A record of weight 0 is thus
/// still picked now and then (when the draw is 0), and a record's chance to come first within
/// its priority is otherwise proportional to its weight.
///
/// Never panics; costs O(n²) in the number of records of one priority, which the locator bounds
/// with [`super::MAX_SRV_RECORDS`].
pub fn srv_order<R: RngCore + ?Sized>(records: &[SrvRecord], rng: &mut R) -> Vec<usize> {
    let mut by_priority: Vec<usize> = (0..records.len()).collect();
    by_priority.sort_by_key(|&i| records[i].priority);
    let mut order = Vec::with_capacity(records.len());
    for group in by_priority.chunk_by(|&a, &b| records[a].priority == records[b].priority) {
        order_group(records, group, rng, &mut order);
    }
    order
}

/// Appends to `order` the weighted random order of one priority group (RFC 2782).
fn order_group<R: RngCore + ?Sized>(records: &[SrvRecord], group: &[usize], rng: &mut R, order: &mut Vec<usize>) {
    let (mut remaining, heavy): (Vec<usize>, Vec<usize>) = group.iter().partition(|&&i| records[i].weight == 0);
    shuffle(&mut remaining, rng);
    remaining.extend(heavy);
    while !remaining.is_empty() {
        let sum = remaining.iter().fold(0u64, |acc, &i| acc.saturating_add(u64::from(records[i].weight)));
        let draw = uniform(rng, sum.saturating_add(1));
        let mut running = 0u64;
        let pick = remaining
            .iter()
            .position(|&i| {
                running = running.saturating_add(u64::from(records[i].weight));
                running >= draw
            })
            .unwrap_or(remaining.len() - 1);
        order.push(remaining.remove(pick));
    }
}

/// Fisher–Yates shuffle with the caller's random numbers.
fn shuffle<R: RngCore + ?Sized>(items: &mut [usize], rng: &mut R) {
    for last in (1..items.len()).rev() {
        let other = uniform(rng, last as u64 + 1) as usize;
        items.swap(last, other);
    }
}

/// A number drawn uniformly from `0..bound` (0 when `bound` is 0), by the multiply-shift
/// reduction of a 64-bit draw (bias below `bound / 2^64`, negligible for SRV weights).
fn uniform<R: RngCore + ?Sized>(rng: &mut R, bound: u64) -> u64 {
    ((u128::from(rng.next_u64()) * u128::from(bound)) >> 64) as u64
}
