//! The text/html alternatives: askama templates in `templates/`, fed the
//! same views as the plain text. Mail clients ignore style sheets in `<head>`
//! and strip anything external, so the markup is plain HTML5 with inline
//! `style` attributes, no images, fonts, scripts or remote resources; the
//! templates escape every value.

use askama::Template;

use super::confirm::ConfirmView;
use super::view::AlertView;
use super::weekly::WeeklyView;

// Inline styles the templates share (`crate::compose::html::…`).
/// The page: readable width, Japanese fonts first.
pub(crate) const BODY: &str = "margin:0;padding:16px;background-color:#ffffff;color:#222222;font-family:Hiragino Kaku Gothic ProN,Hiragino Sans,Meiryo,Noto Sans JP,sans-serif;font-size:14px;line-height:1.6;";
pub(crate) const WRAP: &str = "max-width:760px;margin:0 auto;";
pub(crate) const H1: &str = "font-size:20px;line-height:1.4;margin:4px 0 4px 0;";
pub(crate) const H2: &str =
    "font-size:16px;margin:24px 0 8px 0;padding:2px 0 2px 8px;border-left:4px solid #1f4e79;";
pub(crate) const H3: &str = "font-size:14px;margin:16px 0 4px 0;";
pub(crate) const P: &str = "margin:0 0 8px 0;";
pub(crate) const BADGE: &str =
    "display:inline-block;padding:1px 8px;border-radius:3px;font-weight:bold;white-space:nowrap;";
pub(crate) const TABLE: &str = "border-collapse:collapse;margin:4px 0 8px 0;font-size:13px;";
pub(crate) const TH: &str = "border:1px solid #c8c8c8;background-color:#eef2f6;padding:3px 6px;text-align:left;vertical-align:top;white-space:nowrap;";
pub(crate) const TH_NUM: &str = "border:1px solid #c8c8c8;background-color:#eef2f6;padding:3px 6px;text-align:right;vertical-align:top;white-space:nowrap;";
pub(crate) const TD: &str =
    "border:1px solid #c8c8c8;padding:3px 6px;text-align:left;vertical-align:top;";
pub(crate) const TD_NUM: &str = "border:1px solid #c8c8c8;padding:3px 6px;text-align:right;vertical-align:top;white-space:nowrap;";
pub(crate) const CODE: &str =
    "font-family:Consolas,Courier New,monospace;font-size:13px;word-break:break-all;";
pub(crate) const NOTICE: &str =
    "margin:0 0 16px 0;padding:8px 12px;border:1px solid #e0b252;background-color:#fff8e5;";
pub(crate) const LINK: &str = "color:#1f4e79;";
pub(crate) const BUTTON: &str = "display:inline-block;padding:6px 14px;background-color:#1f4e79;color:#ffffff;text-decoration:none;border-radius:3px;";
pub(crate) const FOOTER: &str = "margin:32px 0 0 0;padding:8px 0 0 0;border-top:1px solid #c8c8c8;color:#555555;font-size:12px;";

#[derive(Template)]
#[template(path = "alert.html")]
pub(crate) struct AlertHtml<'a> {
    pub v: &'a AlertView,
}

#[derive(Template)]
#[template(path = "weekly.html")]
pub(crate) struct WeeklyHtml<'a> {
    pub v: &'a WeeklyView,
}

#[derive(Template)]
#[template(path = "confirm.html")]
pub(crate) struct ConfirmHtml<'a> {
    pub v: &'a ConfirmView,
}
