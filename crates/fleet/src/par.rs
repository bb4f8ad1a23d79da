//! Splitting one job over the cores: the check, the inventory reader and
//! the report writer each cut their work into parts of about equal size
//! and run them at once, one part per thread ([`each`]) or each thread
//! taking the next part left ([`map`]).

/// Runs `f` on each of `parts`, the first on this thread and each other on
/// a thread of its own, and gives the results in the parts' order. A
/// panic in any part is resumed here. One part runs without a thread.
pub(crate) fn each<T: Send, R: Send>(parts: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let mut parts = parts.into_iter();
    let Some(first) = parts.next() else {
        return Vec::new();
    };
    std::thread::scope(|scope| {
        let f = &f;
        let handles: Vec<_> = parts.map(|p| scope.spawn(move || f(p))).collect();
        let mut out = Vec::with_capacity(handles.len() + 1);
        out.push(f(first));
        for h in handles {
            match h.join() {
                Ok(r) => out.push(r),
                Err(p) => std::panic::resume_unwind(p),
            }
        }
        out
    })
}

/// Cuts a sequence of items with these `weights` into at most `n`
/// contiguous ranges of about equal weight, in order (the last may be
/// empty). Work whose items differ in cost (machines by their plan's
/// size, alerts by the machines they list) is shared by weight, not by
/// count.
pub(crate) fn cut(weights: &[usize], n: usize) -> Vec<std::ops::Range<usize>> {
    let n = n.max(1);
    let total: usize = weights.iter().sum();
    let mut out = Vec::with_capacity(n);
    let (mut start, mut acc) = (0, 0);
    for (k, w) in weights.iter().enumerate() {
        acc += w;
        if acc * n >= total * (out.len() + 1) && out.len() + 1 < n {
            out.push(start..k + 1);
            start = k + 1;
        }
    }
    out.push(start..weights.len());
    out
}

/// Maps `items` in order on up to `threads` threads. Each thread takes the
/// next item not yet taken, so items of very different cost (profile
/// plans: a Windows 10 profile has a few dozen alerts, an old server
/// hundreds), or cores that run at different speeds for a while (a
/// shared machine), still keep every thread busy to the end.
pub(crate) fn map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    map_with(items, threads, || (), |(), x| f(x))
}

/// [`map`] with a state per thread, made by `init` and passed to every
/// call on that thread: scratch space that would cost more to make for
/// each item than to keep.
pub(crate) fn map_with<S, T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, &T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.min(items.len()).max(1);
    if threads == 1 {
        let mut state = init();
        return items.iter().map(|x| f(&mut state, x)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut state = init();
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(x) = items.get(i) else {
                return done;
            };
            done.push((i, f(&mut state, x)));
        }
    };
    let mut all: Vec<(usize, R)> = each(vec![(); threads], |()| work())
        .into_iter()
        .flatten()
        .collect();
    all.sort_unstable_by_key(|x| x.0);
    all.into_iter().map(|x| x.1).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_in_the_parts_order() {
        let parts: Vec<u64> = (0..5).collect();
        assert_eq!(super::each(parts, |k| k * 10), [0, 10, 20, 30, 40]);
        assert!(super::each(Vec::<u8>::new(), |k| k).is_empty());
    }

    /// Items of very different cost, on more threads than items and on
    /// fewer: every result, in the items' order.
    #[test]
    fn map_keeps_the_items_order() {
        let items: Vec<u64> = (0..40).collect();
        for threads in [1, 2, 3, 64] {
            let got = super::map(&items, threads, |&k| {
                let mut x = k;
                for _ in 0..(k % 7) * 10_000 {
                    x = std::hint::black_box(x.wrapping_mul(3) % 1_000_003);
                }
                (k, x > 0 || k == 0)
            });
            assert_eq!(got.len(), items.len());
            assert!(got.iter().enumerate().all(|(i, r)| r.0 == i as u64 && r.1));
        }
        assert!(super::map(&Vec::<u8>::new(), 2, |&k| k).is_empty());
    }

    /// Each thread's state is made once and kept from item to item.
    #[test]
    fn map_with_keeps_a_state_per_thread() {
        let items: Vec<u32> = (0..100).collect();
        for threads in [1, 2, 4] {
            let made = std::sync::atomic::AtomicUsize::new(0);
            let got = super::map_with(
                &items,
                threads,
                || {
                    made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    0u32
                },
                |seen, &k| {
                    *seen += 1;
                    (k, *seen)
                },
            );
            assert!(made.into_inner() <= threads);
            assert!(got.iter().enumerate().all(|(i, r)| r.0 == i as u32));
            // The counts restart only with a new state: at most one run
            // per thread starts at 1.
            assert!(got.iter().filter(|r| r.1 == 1).count() <= threads);
        }
    }

    /// The ranges cover every item once, in order, and share the weight.
    #[test]
    fn cut_by_weight() {
        assert_eq!(super::cut(&[1, 1, 1, 1], 2), [0..2, 2..4]);
        assert_eq!(super::cut(&[6, 1, 1, 1, 1, 1, 1], 2), [0..1, 1..7]);
        for (weights, n, whole) in [(&[1, 2, 3][..], 1, 0..3), (&[][..], 3, 0..0)] {
            let one = super::cut(weights, n);
            assert_eq!((one.len(), &one[0]), (1, &whole));
        }
        let weights: Vec<usize> = (0..1000).map(|i| i % 13 + 1).collect();
        let ranges = super::cut(&weights, 8);
        assert_eq!(ranges.len(), 8);
        assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
        assert_eq!((ranges[0].start, ranges[7].end), (0, 1000));
        let total: usize = weights.iter().sum();
        for r in &ranges {
            let w: usize = weights[r.clone()].iter().sum();
            assert!(w.abs_diff(total / 8) <= 13, "{r:?}: {w}");
        }
    }

    #[test]
    #[should_panic(expected = "part 3")]
    fn a_panic_is_resumed() {
        super::each((0..4).collect(), |k: u32| {
            assert!(k != 3, "part {k}");
        });
    }
}
