//! E-mail for subscribers: composing the messages ([`compose`]: HotFix Alert,
//! update mails, HotFix Weekly and the subscription confirmation, each a
//! Japanese text/plain + text/html `multipart/alternative` built with
//! lettre), the tokens in subscribers' links ([`token`]), queueing an
//! alert's mail for the subscribers who asked for it ([`publish`]), and
//! delivering the outbox over SMTP ([`deliver`]).

pub mod compose;
pub mod deliver;
pub mod publish;
pub mod subscribe;
pub mod token;
pub mod weekly;

pub use compose::{
    alert_message, confirmation_key, confirmation_message, message_id, weekly_message,
    ComposeError, Kind, Recipient, Sender, SenderConfig, Week, WeeklyEntry,
};
