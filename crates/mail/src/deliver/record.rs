//! Recording outcomes.
//!
//! The hand-over of a message (see [`super::relay`]) is written by its
//! connection itself, in its own transaction, together with the outcomes
//! the connection has not written yet (the `Sent` of its previous message):
//! the end line must follow that write with no task hand-off in between.
//! Outcomes written apart from a hand-over (failures, the last `Sent`s of a
//! round) go to one recorder task per sender, which writes whatever has
//! gathered from all connections in one transaction.

use std::sync::Arc;

use hfr_store::{AfterCommit, OutboxMark, Store};
use tokio::sync::{mpsc, oneshot};

use super::relay::HandOverRefused;

/// The most marks written in one transaction.
const MAX_MARKS_PER_COMMIT: usize = 512;

struct Request {
    marks: Vec<OutboxMark>,
    reply: oneshot::Sender<Result<Vec<bool>, String>>,
}

/// A handle on the recorder task; cheap to clone. The task ends when every
/// handle is dropped.
#[derive(Clone)]
pub(super) struct Recorder {
    requests: mpsc::Sender<Request>,
}

impl Recorder {
    /// Starts the recorder for `worker` (inside the Tokio runtime).
    pub(super) fn start(store: Arc<dyn Store>, worker: String) -> Recorder {
        let (requests, mut rx) = mpsc::channel::<Request>(1024);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                let mut n = batch[0].marks.len();
                while n < MAX_MARKS_PER_COMMIT {
                    match rx.try_recv() {
                        Ok(r) => {
                            n += r.marks.len();
                            batch.push(r);
                        }
                        Err(_) => break,
                    }
                }
                let marks: Vec<OutboxMark> =
                    batch.iter().flat_map(|r| r.marks.iter().cloned()).collect();
                match store.record_outbox(&worker, &marks).await {
                    Ok(applied) => {
                        let mut applied = applied.into_iter();
                        for r in batch {
                            let mine = applied.by_ref().take(r.marks.len()).collect();
                            let _ = r.reply.send(Ok(mine));
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot record delivery outcomes");
                        for r in batch {
                            let _ = r.reply.send(Err(e.to_string()));
                        }
                    }
                }
            }
        });
        Recorder { requests }
    }

    /// Records `marks` in order; per mark, whether it applied.
    pub(super) async fn record(&self, marks: Vec<OutboxMark>) -> Result<Vec<bool>, String> {
        if marks.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request { marks, reply })
            .await
            .map_err(|_| "the recorder stopped".to_string())?;
        answer
            .await
            .map_err(|_| "the recorder stopped".to_string())?
    }
}

/// Records `earlier` (outcomes not yet written) and then the hand-over of row
/// `id`, in one transaction of the connection's own (not through the
/// recorder: the end line must follow this write at once, without a task
/// hand-off in between), with `then` (which writes the end line) run right
/// after the commit; fails unless the hand-over applied.
pub(super) async fn hand_over(
    store: &dyn Store,
    worker: &str,
    mut earlier: Vec<OutboxMark>,
    id: i64,
    then: AfterCommit,
) -> Result<(), HandOverRefused> {
    earlier.push(OutboxMark::Handed {
        id,
        at: chrono::Utc::now(),
    });
    let applied = store
        .record_outbox_then(worker, &earlier, then)
        .await
        .map_err(|e| HandOverRefused::Store(e.to_string()))?;
    if applied.last() == Some(&true) {
        Ok(())
    } else {
        Err(HandOverRefused::Lost)
    }
}
