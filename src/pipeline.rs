//! Two stages side by side: one on a scoped thread, one on the caller's, joined by the
//! caller's bounded channel. The three streaming paths (text → Avro, Avro → DuckDB, DuckDB →
//! sessions → writer) share this instead of each writing the spawn/join/re-panic dance.

/// Runs `spawned` on a scoped thread while `here` runs on this one, and returns both
/// results. `here` should own its end of the channel, so that it is dropped when `here`
/// returns (early, on an error): the other stage then sees a closed channel and stops. A
/// panic on the spawned thread is resumed here.
pub fn side_by_side<A: Send, B>(
    spawned: impl FnOnce() -> A + Send,
    here: impl FnOnce() -> B,
) -> (A, B) {
    std::thread::scope(|scope| {
        let handle = scope.spawn(spawned);
        let b = here();
        let a = handle
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (a, b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::sync_channel;

    #[test]
    fn a_stopped_consumer_stops_the_producer() {
        let (send, recv) = sync_channel::<u32>(1);
        let (sent, got) = side_by_side(
            move || (0..1_000_000).take_while(|i| send.send(*i).is_ok()).count(),
            move || recv.iter().take(3).collect::<Vec<_>>(),
        );
        assert_eq!(got, [0, 1, 2]);
        assert!(sent < 10, "the producer stopped soon after: {sent}");
    }

    #[test]
    #[should_panic(expected = "boom")]
    fn a_panic_on_the_thread_reaches_the_caller() {
        side_by_side(|| panic!("boom"), || ());
    }
}
