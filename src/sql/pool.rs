//! Models shared by the threads of one process: each is loaded on first use, at most `limit` of
//! them, and lent to one caller at a time (pipelines are `Send` but not meant to run one
//! instance from two threads at once).
use crate::RustBertError;
use std::fmt;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Builds one model (called once per instance the pool ever holds).
pub type ModelFactory<M> = Box<dyn Fn() -> Result<M, RustBertError> + Send + Sync>;

/// Idle models and how many exist (idle or lent).
struct Slots<M> {
    idle: Vec<M>,
    created: usize,
}

/// A pool of up to `limit` models built lazily by `factory`.
pub struct ModelPool<M> {
    factory: ModelFactory<M>,
    limit: usize,
    slots: Mutex<Slots<M>>,
    returned: Condvar,
}

impl<M> fmt::Debug for ModelPool<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModelPool")
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

/// A poisoned lock only means another thread panicked while holding it; the slots stay
/// consistent (every update is a single push/pop/counter change), so the guard is used anyway.
fn recover<'a, T>(
    result: Result<MutexGuard<'a, T>, PoisonError<MutexGuard<'a, T>>>,
) -> MutexGuard<'a, T> {
    result.unwrap_or_else(PoisonError::into_inner)
}

impl<M> ModelPool<M> {
    /// A pool that builds at most `limit` (at least 1) models with `factory`, only when asked.
    pub fn new(factory: ModelFactory<M>, limit: usize) -> Self {
        ModelPool {
            factory,
            limit: limit.max(1),
            slots: Mutex::new(Slots {
                idle: Vec::new(),
                created: 0,
            }),
            returned: Condvar::new(),
        }
    }

    /// How many models have been built so far.
    pub fn loaded(&self) -> usize {
        recover(self.slots.lock()).created
    }

    /// Runs `f` on a model of the pool: an idle one, else a new one while fewer than `limit`
    /// exist, else the first one another caller gives back.
    ///
    /// # Errors
    /// The factory's error when a new model cannot be built (the pool stays usable).
    pub fn with<R>(&self, f: impl FnOnce(&M) -> R) -> Result<R, RustBertError> {
        let model = self.take()?;
        // Give the model back even when `f` panics, so other callers do not wait forever.
        struct Return<'a, M> {
            pool: &'a ModelPool<M>,
            model: Option<M>,
        }
        impl<M> Drop for Return<'_, M> {
            fn drop(&mut self) {
                if let Some(model) = self.model.take() {
                    recover(self.pool.slots.lock()).idle.push(model);
                    self.pool.returned.notify_one();
                }
            }
        }
        let lent = Return {
            pool: self,
            model: Some(model),
        };
        match &lent.model {
            Some(model) => Ok(f(model)),
            None => Err(RustBertError::ValueError("model pool lost a model".into())),
        }
    }

    fn take(&self) -> Result<M, RustBertError> {
        let mut slots = recover(self.slots.lock());
        loop {
            if let Some(model) = slots.idle.pop() {
                return Ok(model);
            }
            if slots.created < self.limit {
                slots.created += 1;
                drop(slots);
                // Loading takes seconds: the lock is not held meanwhile.
                return match (self.factory)() {
                    Ok(model) => Ok(model),
                    Err(error) => {
                        recover(self.slots.lock()).created -= 1;
                        self.returned.notify_one();
                        Err(error)
                    }
                };
            }
            slots = recover(self.returned.wait(slots));
        }
    }
}
