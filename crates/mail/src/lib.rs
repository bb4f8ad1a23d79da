//! E-mail for subscribers: composing the messages (this crate's `compose`)
//! and, later, delivering them from the store's outbox.
