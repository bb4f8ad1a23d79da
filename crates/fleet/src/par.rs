//! Splitting one job over the cores: the check, the inventory reader and
//! the report writer each cut their work into a few parts of about equal
//! size and run them at once.

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

#[cfg(test)]
mod tests {
    #[test]
    fn results_in_the_parts_order() {
        let parts: Vec<u64> = (0..5).collect();
        assert_eq!(super::each(parts, |k| k * 10), [0, 10, 20, 30, 40]);
        assert!(super::each(Vec::<u8>::new(), |k| k).is_empty());
    }

    #[test]
    #[should_panic(expected = "part 3")]
    fn a_panic_is_resumed() {
        super::each((0..4).collect(), |k: u32| {
            assert!(k != 3, "part {k}");
        });
    }
}
