//! Seeded choices shared by the generators (demo, bench, mail).

use rand::RngExt;
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;

/// One of `items`, each as likely as its weight.
pub(crate) fn weighted<T: Copy>(rng: &mut SmallRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| *w).sum();
    let mut x = rng.random_range(0..total.max(1));
    for (item, w) in items {
        if x < *w {
            return *item;
        }
        x -= w;
    }
    items[0].0
}

/// One of `list` (empty text for an empty list).
pub(crate) fn pick<'a>(rng: &mut SmallRng, list: &[&'a str]) -> &'a str {
    list.choose(rng).copied().unwrap_or_default()
}
