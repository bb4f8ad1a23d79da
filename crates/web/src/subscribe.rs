//! The subscription pages: the form (`/subscribe/`), the confirmation link
//! (`/subscribe/confirm/{token}`), the preferences link (`/subscribe/{token}`)
//! and the unsubscribe link (`/unsubscribe/{token}`).
//!
//! What each request does is decided in [`hfr_mail::subscribe`]; this module
//! reads requests and renders pages. The rules of the pages themselves:
//!
//! - **A GET never changes anything.** Mail systems' link scanners open the
//!   links in mails; were a GET to confirm or unsubscribe, a scanner would
//!   confirm a stranger's request or unsubscribe a reader. The link's page
//!   shows what will happen and a button; the button's POST does it.
//! - **RFC 8058 one-click.** A mail provider's unsubscribe button POSTs
//!   `List-Unsubscribe=One-Click` (urlencoded or multipart) to the
//!   `List-Unsubscribe` URL, with no cookie and no page in between: the POST
//!   to `/unsubscribe/{token}` unsubscribes on the token alone and reads no
//!   field, so whatever body such a sender sends (within the size limit)
//!   works. Our own button sends the same field.
//! - **No CSRF token.** The form asks for a confirmation mail that only the
//!   mailbox's owner can act on, and every other POST is authorised by the
//!   secret token in its URL; a cookie would add nothing but state.
//! - **Nothing is cached or leaked.** The answers are `no-store` and never go
//!   through the page cache (they depend on a subscriber, not the archive);
//!   `Referrer-Policy: no-referrer` keeps the token in the URL from being
//!   sent to other sites; framing is refused so the buttons cannot be
//!   clickjacked; token pages are `noindex`.
//! - **Hostile input is refused whole**, with nothing stored: bodies over
//!   [`MAX_BODY`] (413), a body that is not a urlencoded form (415), bad
//!   encoding (400), control characters in any field, unknown severities,
//!   repeated fields, too many or unknown products (400 naming the field,
//!   with the form shown again). Every refused link gets the same 400 page,
//!   [`LINK_REFUSED`], whatever the reason (the reason is logged).

use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use hfr_mail::subscribe::{
    self as sub, conditions, Condition, Confirmed, Managed, SubscribeError, LINK_REFUSED,
    MAX_PRODUCTS,
};
use hfr_mail::token::{Purpose, Secret};
use hfr_model::subscription::Preferences;
use hfr_model::Severity;

use crate::error::{AppError, WebError};
use crate::form;
use crate::http::{no_store_html as respond_public, private_html as respond, Doc, Kind};
use crate::pages::{bare_error_page, Layout};
use crate::state::{AppState, Inner};

/// The largest request body the subscription pages read: the form with
/// every one of [`MAX_PRODUCTS`] products ticked fits with room to spare.
pub(crate) const MAX_BODY: usize = 16 * 1024;

// ------------------------------------------------------------ the form

/// The form's fields as sent, kept to show the form again after a refusal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Values {
    address: String,
    /// `""` (all) or `1`–`4`.
    min_severity: String,
    exploit_code_only: bool,
    apply_now_only: bool,
    revisions: bool,
    weekly: bool,
    products: Vec<String>,
}

impl Values {
    fn from_preferences(address: &str, p: &Preferences) -> Self {
        Values {
            address: address.to_string(),
            min_severity: p
                .min_severity
                .map(|s| s.number().to_string())
                .unwrap_or_default(),
            exploit_code_only: p.exploit_code_only,
            apply_now_only: p.apply_now_only,
            revisions: p.revisions,
            weekly: p.weekly,
            products: p.products.clone(),
        }
    }
}

/// A field the reader must correct: its label on the form, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    label: String,
    message: String,
}

/// The label a form field has on the page.
fn label(field: &str) -> Option<&'static str> {
    Some(match field {
        "address" => "メールアドレス",
        "min_severity" => "最低深刻度",
        "exploit_code_only" => "エクスプロイトコードありのみ",
        "apply_now_only" => "至急適用のみ",
        "product" | "products" => "対象製品",
        "revisions" => "改訂も受け取る",
        "weekly" => "HotFix Weekly",
        _ => return None,
    })
}

impl FieldError {
    fn new(field: &str, message: impl Into<String>) -> Self {
        let label = match label(field) {
            Some(l) => l.to_string(),
            // A field no form of ours has: named when it can be printed.
            None if field.chars().count() <= 40 && !field.chars().any(char::is_control) => {
                field.to_string()
            }
            None => "不明な項目".to_string(),
        };
        FieldError {
            label,
            message: message.into(),
        }
    }
}

/// Reads the fields of the form (with the address field when
/// `with_address`): the values as sent, always, and the preferences when
/// every field is valid. Fields no form of ours has are ignored, unless
/// they carry control characters (nothing with a line break is accepted).
fn read(
    fields: &[(String, String)],
    with_address: bool,
) -> (Values, Result<Preferences, FieldError>) {
    let mut v = Values::default();
    let mut error: Option<FieldError> = None;
    let mut fail = |e: FieldError| {
        error.get_or_insert(e);
    };
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in fields {
        if name.chars().chain(value.chars()).any(char::is_control) {
            fail(FieldError::new(name, "改行や制御文字は使えません。"));
            continue;
        }
        let single = match name.as_str() {
            "address" if with_address => true,
            "min_severity" | "exploit_code_only" | "apply_now_only" | "revisions" | "weekly" => {
                true
            }
            "product" => false,
            _ => continue,
        };
        if single {
            if seen.contains(&name.as_str()) {
                fail(FieldError::new(name, "二度以上送られました。"));
                continue;
            }
            seen.push(name);
        }
        let checkbox = |on: &mut bool| {
            if value == "1" {
                *on = true;
                None
            } else {
                Some(FieldError::new(name, "値が正しくありません。"))
            }
        };
        let problem = match name.as_str() {
            "address" => {
                v.address = value.clone();
                None
            }
            "min_severity" => {
                v.min_severity = value.clone();
                None
            }
            "exploit_code_only" => checkbox(&mut v.exploit_code_only),
            "apply_now_only" => checkbox(&mut v.apply_now_only),
            "revisions" => checkbox(&mut v.revisions),
            "weekly" => checkbox(&mut v.weekly),
            _ => {
                if value.trim().is_empty() {
                    Some(FieldError::new(name, "空の製品名が送られました。"))
                } else {
                    v.products.push(value.clone());
                    None
                }
            }
        };
        if let Some(e) = problem {
            fail(e);
        }
    }
    let min_severity = match v.min_severity.as_str() {
        "" => None,
        "1" | "2" | "3" | "4" => v.min_severity.parse().ok().and_then(Severity::from_number),
        _ => {
            fail(FieldError::new(
                "min_severity",
                "値が正しくありません。一覧から選んでください。",
            ));
            None
        }
    };
    if v.products.len() > MAX_PRODUCTS {
        fail(FieldError::new(
            "product",
            format!("製品は {MAX_PRODUCTS} 件まで選べます。"),
        ));
    }
    let result = match error {
        Some(e) => Err(e),
        None => Ok(Preferences {
            min_severity,
            exploit_code_only: v.exploit_code_only,
            apply_now_only: v.apply_now_only,
            products: v.products.clone(),
            revisions: v.revisions,
            weekly: v.weekly,
        }),
    };
    (v, result)
}

/// One product checkbox.
pub(crate) struct ProductChoice {
    name: String,
    count: u64,
    checked: bool,
}

/// The subscription form, or the preferences form of one subscriber.
#[derive(Template)]
#[template(path = "subscribe.html")]
struct FormPage<'a> {
    layout: Layout<'a>,
    heading: &'static str,
    /// False: this server takes no subscriptions (no mail settings).
    available: bool,
    /// The preferences form shows the address instead of asking for it.
    managed_address: Option<String>,
    action: String,
    submit_label: &'static str,
    values: Values,
    products: Vec<ProductChoice>,
    error: Option<FieldError>,
    saved: bool,
    /// The 配信停止 button's target, on the preferences form.
    unsubscribe_action: Option<String>,
}

/// Which form.
enum FormKind {
    New,
    Preferences {
        address: String,
        /// The token of the page's own URL.
        token: String,
        unsubscribe_token: String,
    },
}

async fn render_form(
    st: &Inner,
    kind: FormKind,
    values: Values,
    error: Option<FieldError>,
    saved: bool,
) -> Result<String, WebError> {
    let archive = st.store.products().await?;
    let wanted: Vec<String> = values
        .products
        .iter()
        .map(|p| p.trim().to_lowercase())
        .collect();
    let products = archive
        .into_iter()
        .map(|(name, count)| ProductChoice {
            checked: wanted.contains(&name.trim().to_lowercase()),
            name,
            count,
        })
        .collect();
    let page = match kind {
        FormKind::New => {
            let mut layout = Layout::new(st, "購読の申し込み", "subscribe");
            layout.canonical = Some(format!("{}/subscribe/", st.base));
            layout.description =
                Some("HotFix Report のアラートを電子メールで受け取る(購読の申し込み)".into());
            FormPage {
                layout,
                heading: "購読の申し込み",
                available: st.config.mail.is_some(),
                managed_address: None,
                action: st.subscribe_href(),
                submit_label: "確認メールを送る",
                values,
                products,
                error,
                saved,
                unsubscribe_action: None,
            }
        }
        FormKind::Preferences {
            address,
            token,
            unsubscribe_token,
        } => FormPage {
            layout: Layout::new(st, "配信条件の変更", "subscribe"),
            heading: "配信条件の変更",
            available: true,
            managed_address: Some(address),
            action: st.preferences_href(&token),
            submit_label: "この条件で保存する",
            values,
            products,
            error,
            saved,
            unsubscribe_action: Some(st.unsubscribe_href(&unsubscribe_token)),
        },
    };
    Ok(page.render()?)
}

/// The page the static export writes at `subscribe/index.html`: a mirror
/// serves files and cannot take a form, so it is the page of a server
/// without mail settings (which is also what such a server answers).
pub(crate) fn unavailable_doc(st: &Inner) -> Result<Doc, AppError> {
    Ok(Doc::new(unavailable_html(st)?, Kind::Html, None))
}

fn unavailable_html(st: &Inner) -> Result<String, askama::Error> {
    let mut layout = Layout::new(st, "購読の申し込み", "subscribe");
    layout.canonical = Some(format!("{}/subscribe/", st.base));
    let page = FormPage {
        layout,
        heading: "購読の申し込み",
        available: false,
        managed_address: None,
        action: st.subscribe_href(),
        submit_label: "確認メールを送る",
        values: Values::default(),
        products: Vec::new(),
        error: None,
        saved: false,
        unsubscribe_action: None,
    };
    page.render()
}

// ------------------------------------------------------------ notices

/// A button that POSTs to `action`.
pub(crate) struct Button {
    action: String,
    label: &'static str,
    /// Sends `List-Unsubscribe=One-Click`, as RFC 8058 senders do.
    one_click: bool,
    danger: bool,
}

/// A page that says what happened, or what a button will do.
#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage<'a> {
    layout: Layout<'a>,
    heading: &'a str,
    paragraphs: Vec<String>,
    address: Option<String>,
    conditions: Vec<Condition>,
    button: Option<Button>,
    links: Vec<(String, &'static str)>,
}

impl<'a> NoticePage<'a> {
    fn new(st: &'a Inner, heading: &'a str, paragraphs: &[&str]) -> Self {
        NoticePage {
            layout: Layout::new(st, heading, "subscribe"),
            heading,
            paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
            address: None,
            conditions: Vec::new(),
            button: None,
            links: vec![(st.home(), "トップページへ")],
        }
    }
}

// ------------------------------------------------------------ answering

fn notice(status: StatusCode, page: NoticePage<'_>) -> Response {
    match page.render() {
        Ok(html) => respond(status, html),
        Err(e) => render_failed(&e),
    }
}

fn render_failed(e: &dyn std::error::Error) -> Response {
    tracing::error!(error = %e, "cannot render a subscription page");
    respond(
        StatusCode::INTERNAL_SERVER_ERROR,
        bare_error_page("サーバでエラーが発生しました"),
    )
}

/// The 500 page, the cause logged and not shown.
fn internal(st: &Inner, e: &dyn std::error::Error) -> Response {
    tracing::error!(error = %crate::routes::chain(e), "subscription request failed");
    notice(
        StatusCode::INTERNAL_SERVER_ERROR,
        NoticePage::new(
            st,
            "サーバでエラーが発生しました",
            &["申し訳ありません。サーバ内部でエラーが発生しました。しばらくしてから再度お試しください。"],
        ),
    )
}

/// Which link was refused, for the help the refusal page gives.
#[derive(Clone, Copy)]
enum LinkKind {
    Confirm,
    Manage,
}

fn refused(st: &Inner, kind: LinkKind) -> Response {
    let help = match kind {
        LinkKind::Confirm => "確認メールのリンクは、お申し込みから 7 日間有効です。期限が切れた場合や、その後に配信を停止した場合は、お手数ですがもう一度お申し込みください。",
        LinkKind::Manage => "配信を停止すると、それまでに届いたメールのリンクはすべて使えなくなります。配信中の方は、最新の配信メールにあるリンクをお使いください。",
    };
    let mut page = NoticePage::new(st, "リンクを確認できません", &[LINK_REFUSED, help]);
    page.links = vec![
        (st.subscribe_href(), "購読の申し込みへ"),
        (st.home(), "トップページへ"),
    ];
    notice(StatusCode::BAD_REQUEST, page)
}

fn too_large(st: &Inner) -> Response {
    notice(
        StatusCode::PAYLOAD_TOO_LARGE,
        NoticePage::new(
            st,
            "送信された内容が大きすぎます",
            &["フォームの内容が上限を超えています。選ぶ製品を減らして、もう一度お試しください。"],
        ),
    )
}

fn malformed(st: &Inner) -> Response {
    notice(
        StatusCode::BAD_REQUEST,
        NoticePage::new(
            st,
            "リクエストが正しくありません",
            &["フォームの内容を読み取れませんでした。ページを開き直して、もう一度お試しください。"],
        ),
    )
}

fn unsupported(st: &Inner) -> Response {
    notice(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        NoticePage::new(
            st,
            "リクエストが正しくありません",
            &["このページのフォームから送信してください(application/x-www-form-urlencoded 形式のみ受け付けます)。"],
        ),
    )
}

/// Why a request body was not read as what the page expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyRefusal {
    /// Over [`MAX_BODY`]: 413.
    TooLarge,
    /// Not a urlencoded form: 415.
    NotAForm,
    /// Unreadable (bad encoding, too many fields, a broken stream): 400.
    Malformed,
}

fn refuse_body(st: &Inner, r: BodyRefusal) -> Response {
    match r {
        BodyRefusal::TooLarge => too_large(st),
        BodyRefusal::NotAForm => unsupported(st),
        BodyRefusal::Malformed => malformed(st),
    }
}

/// The body, unless it could not be read (over the limit, above all).
fn read_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, BodyRefusal> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            BodyRefusal::TooLarge
        } else {
            tracing::info!(error = %e.body_text(), "unreadable request body");
            BodyRefusal::Malformed
        }
    })
}

/// The fields of a form body.
fn form_fields(headers: &HeaderMap, body: &[u8]) -> Result<Vec<(String, String)>, BodyRefusal> {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    if !form::is_urlencoded(content_type) {
        return Err(BodyRefusal::NotAForm);
    }
    form::parse(body).map_err(|e| {
        tracing::info!(error = %e, "malformed form");
        BodyRefusal::Malformed
    })
}

/// A link's token and the server's secret to check it with; else the page
/// that refuses the link (no token) or reports the failure (no secret).
async fn link(
    st: &Inner,
    token: Result<Path<String>, PathRejection>,
    kind: LinkKind,
) -> Result<(String, Secret), Response> {
    let Ok(Path(token)) = token else {
        return Err(refused(st, kind));
    };
    let secret = st.secret().await.map_err(|e| internal(st, &e))?;
    Ok((token, secret))
}

/// A form shown again, answered with `status`.
async fn form_response(
    st: &Inner,
    status: StatusCode,
    kind: FormKind,
    values: Values,
    error: Option<FieldError>,
    saved: bool,
) -> Response {
    match render_form(st, kind, values, error, saved).await {
        Ok(html) => respond(status, html),
        Err(e) => internal(st, &e),
    }
}

// ------------------------------------------------------------ handlers

/// `GET /subscribe/`: the form (or, without mail settings, why there is none).
pub(crate) async fn form_page(State(st): State<AppState>) -> Response {
    if st.config.mail.is_none() {
        return match unavailable_html(&st) {
            Ok(html) => respond_public(StatusCode::OK, html),
            Err(e) => render_failed(&e),
        };
    }
    let values = Values::from_preferences("", &Preferences::default());
    match render_form(&st, FormKind::New, values, None, false).await {
        Ok(html) => respond_public(StatusCode::OK, html),
        Err(e) => internal(&st, &e),
    }
}

/// `POST /subscribe/`: asks for a confirmation mail. The answer is the same
/// page whatever the address's state.
pub(crate) async fn request(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(sender) = st.config.mail.as_ref() else {
        return notice(
            StatusCode::SERVICE_UNAVAILABLE,
            NoticePage::new(
                &st,
                "購読を受け付けていません",
                &["このサーバではメール配信が設定されていないため、購読の申し込みを受け付けていません。"],
            ),
        );
    };
    let fields = match read_body(body).and_then(|b| form_fields(&headers, &b)) {
        Ok(f) => f,
        Err(r) => return refuse_body(&st, r),
    };
    let (values, prefs) = read(&fields, true);
    let prefs = match prefs {
        Ok(p) => p,
        Err(e) => {
            return form_response(
                &st,
                StatusCode::BAD_REQUEST,
                FormKind::New,
                values,
                Some(e),
                false,
            )
            .await
        }
    };
    match sub::request(&*st.store, sender, &values.address, &prefs, Utc::now()).await {
        Ok(what) => {
            tracing::debug!(?what, "subscription request");
            let mut page = NoticePage::new(
                &st,
                "確認メールを送信しました",
                &[
                    "入力されたアドレスあてに、お申し込みを確認するメールをお送りします。メールにあるリンクを開き、「購読を確定する」ボタンを押すと配信が始まります。",
                    "リンクの有効期限は 7 日間です。確認されなかったお申し込みでは、アラートは配信されません。",
                    "メールが届かない場合は、迷惑メールのフォルダもご確認ください。同じアドレスで続けてお申し込みいただいても、確認メールは 1 時間に 1 通までです。",
                    "すでに配信中のアドレスには確認メールをお送りしません。配信条件の変更や配信の停止は、配信メールの末尾にあるリンクから行えます。",
                ],
            );
            page.links = vec![(st.home(), "トップページへ")];
            notice(StatusCode::OK, page)
        }
        Err(SubscribeError::Invalid { field, message }) => {
            let e = FieldError::new(field, message);
            form_response(
                &st,
                StatusCode::BAD_REQUEST,
                FormKind::New,
                values,
                Some(e),
                false,
            )
            .await
        }
        // Store failures (a form request involves no link).
        Err(e) => internal(&st, &e),
    }
}

/// The answer when a link could not be acted on: the one refusal page, or
/// a 500 when the store failed.
fn link_error(st: &Inner, kind: LinkKind, e: SubscribeError) -> Response {
    match e {
        SubscribeError::Link(_) => refused(st, kind),
        e => internal(st, &e),
    }
}

/// `GET /subscribe/confirm/{token}`: what will be confirmed, and the button.
pub(crate) async fn confirm_page(
    State(st): State<AppState>,
    token: Result<Path<String>, PathRejection>,
) -> Response {
    let (token, secret) = match link(&st, token, LinkKind::Confirm).await {
        Ok(l) => l,
        Err(page) => return page,
    };
    let s = match sub::check_link(&*st.store, &secret, &token, Purpose::Confirm, Utc::now()).await {
        Ok(s) => s,
        Err(e) => return link_error(&st, LinkKind::Confirm, e),
    };
    if s.state == hfr_store::SubscriberState::Confirmed {
        return confirmed_page(&st, "購読はすでに確定しています", &s);
    }
    let mut page = NoticePage::new(
        &st,
        "購読の確定",
        &["次の条件でアラートの配信を始めます。よろしければ「購読を確定する」ボタンを押してください。ボタンを押すまで、配信は始まりません。"],
    );
    page.address = Some(s.address.clone());
    page.conditions = conditions(&s.preferences);
    page.button = Some(Button {
        action: st.confirm_href(&token),
        label: "購読を確定する",
        one_click: false,
        danger: false,
    });
    notice(StatusCode::OK, page)
}

fn confirmed_page(st: &Inner, heading: &'static str, s: &hfr_store::Subscriber) -> Response {
    let mut page = NoticePage::new(
        st,
        heading,
        &["次の条件でアラートをお届けします。配信条件の変更や配信の停止は、配信メールの末尾にあるリンクから行えます。"],
    );
    page.address = Some(s.address.clone());
    page.conditions = conditions(&s.preferences);
    notice(StatusCode::OK, page)
}

/// `POST /subscribe/confirm/{token}`: confirms.
pub(crate) async fn confirm(
    State(st): State<AppState>,
    token: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(r) = read_body(body) {
        return refuse_body(&st, r);
    }
    let (token, secret) = match link(&st, token, LinkKind::Confirm).await {
        Ok(l) => l,
        Err(page) => return page,
    };
    match sub::confirm(&*st.store, &secret, &token, Utc::now()).await {
        Ok(Confirmed::Now(s)) => confirmed_page(&st, "購読を確定しました", &s),
        Ok(Confirmed::Already(s)) => confirmed_page(&st, "購読はすでに確定しています", &s),
        Err(e) => link_error(&st, LinkKind::Confirm, e),
    }
}

fn managed_form(token: &str, m: &Managed) -> FormKind {
    FormKind::Preferences {
        address: m.subscriber.address.clone(),
        token: token.to_string(),
        unsubscribe_token: m.unsubscribe_token.clone(),
    }
}

/// `GET /subscribe/{token}`: the subscriber's conditions, to change.
pub(crate) async fn preferences_page(
    State(st): State<AppState>,
    token: Result<Path<String>, PathRejection>,
) -> Response {
    let (token, secret) = match link(&st, token, LinkKind::Manage).await {
        Ok(l) => l,
        Err(page) => return page,
    };
    match sub::load_preferences(&*st.store, &secret, &token, Utc::now()).await {
        Ok(m) => {
            let values = Values::from_preferences(&m.subscriber.address, &m.subscriber.preferences);
            form_response(
                &st,
                StatusCode::OK,
                managed_form(&token, &m),
                values,
                None,
                false,
            )
            .await
        }
        Err(e) => link_error(&st, LinkKind::Manage, e),
    }
}

/// `POST /subscribe/{token}`: saves the conditions.
pub(crate) async fn save_preferences(
    State(st): State<AppState>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match read_body(body) {
        Ok(b) => b,
        Err(r) => return refuse_body(&st, r),
    };
    let (token, secret) = match link(&st, token, LinkKind::Manage).await {
        Ok(l) => l,
        Err(page) => return page,
    };
    let now = Utc::now();
    let m = match sub::load_preferences(&*st.store, &secret, &token, now).await {
        Ok(m) => m,
        Err(e) => return link_error(&st, LinkKind::Manage, e),
    };
    let fields = match form_fields(&headers, &body) {
        Ok(f) => f,
        Err(r) => return refuse_body(&st, r),
    };
    let (mut values, prefs) = read(&fields, false);
    values.address = m.subscriber.address.clone();
    let prefs = match prefs {
        Ok(p) => p,
        Err(e) => {
            let kind = managed_form(&token, &m);
            return form_response(&st, StatusCode::BAD_REQUEST, kind, values, Some(e), false).await;
        }
    };
    match sub::save_preferences(&*st.store, &secret, &token, &prefs, now).await {
        Ok(saved) => {
            let values =
                Values::from_preferences(&saved.subscriber.address, &saved.subscriber.preferences);
            let kind = managed_form(&token, &saved);
            form_response(&st, StatusCode::OK, kind, values, None, true).await
        }
        Err(SubscribeError::Invalid { field, message }) => {
            let kind = managed_form(&token, &m);
            let e = FieldError::new(field, message);
            form_response(&st, StatusCode::BAD_REQUEST, kind, values, Some(e), false).await
        }
        Err(e) => link_error(&st, LinkKind::Manage, e),
    }
}

/// `GET /unsubscribe/{token}`: the button.
pub(crate) async fn unsubscribe_page(
    State(st): State<AppState>,
    token: Result<Path<String>, PathRejection>,
) -> Response {
    let (token, secret) = match link(&st, token, LinkKind::Manage).await {
        Ok(l) => l,
        Err(page) => return page,
    };
    match sub::check_link(
        &*st.store,
        &secret,
        &token,
        Purpose::Unsubscribe,
        Utc::now(),
    )
    .await
    {
        Ok(s) => {
            let mut page = NoticePage::new(
                &st,
                "配信の停止",
                &["次のアドレスへのメールの配信を停止します。よろしければ「配信を停止する」ボタンを押してください。"],
            );
            page.address = Some(s.address);
            page.button = Some(Button {
                action: st.unsubscribe_href(&token),
                label: "配信を停止する",
                one_click: true,
                danger: true,
            });
            notice(StatusCode::OK, page)
        }
        Err(e) => link_error(&st, LinkKind::Manage, e),
    }
}

/// `POST /unsubscribe/{token}`: unsubscribes (the page's button, or a mail
/// provider's RFC 8058 one-click POST). No field is read: the token is the
/// authority, and a one-click sender must never be refused over its body.
pub(crate) async fn unsubscribe(
    State(st): State<AppState>,
    token: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(r) = read_body(body) {
        return refuse_body(&st, r);
    }
    let (token, secret) = match link(&st, token, LinkKind::Manage).await {
        Ok(l) => l,
        Err(page) => return page,
    };
    match sub::unsubscribe(&*st.store, &secret, &token, Utc::now()).await {
        Ok(s) => {
            let mut page = NoticePage::new(
                &st,
                "配信を停止しました",
                &[
                    "次のアドレスへのメールの配信を停止しました。これまでに届いたメールのリンクは、以後使えません。",
                    "また受け取りたくなった場合は、購読の申し込みからあらためてお申し込みください。",
                ],
            );
            page.address = Some(s.address);
            page.links = vec![
                (st.subscribe_href(), "購読の申し込みへ"),
                (st.home(), "トップページへ"),
            ];
            notice(StatusCode::OK, page)
        }
        Err(e) => link_error(&st, LinkKind::Manage, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_valid_form_reads_into_preferences() {
        let (v, p) = read(
            &fields(&[
                ("address", "a@example.org"),
                ("min_severity", "1"),
                ("exploit_code_only", "1"),
                ("product", "Windows XP"),
                ("product", "Exchange Server 2003"),
                ("weekly", "1"),
                ("submit", "x"),
            ]),
            true,
        );
        let p = p.unwrap();
        assert_eq!(v.address, "a@example.org");
        assert_eq!(p.min_severity, Some(Severity::Critical));
        assert!(p.exploit_code_only && !p.apply_now_only && !p.revisions && p.weekly);
        assert_eq!(p.products, vec!["Windows XP", "Exchange Server 2003"]);
        let (_, p) = read(&fields(&[("min_severity", "")]), false);
        assert_eq!(p.unwrap().min_severity, None);
    }

    #[test]
    fn bad_fields_are_named() {
        let label_of = |pairs: &[(&str, &str)]| read(&fields(pairs), true).1.unwrap_err().label;
        assert_eq!(label_of(&[("min_severity", "5")]), "最低深刻度");
        assert_eq!(label_of(&[("min_severity", "+1")]), "最低深刻度");
        assert_eq!(label_of(&[("min_severity", "critical")]), "最低深刻度");
        assert_eq!(label_of(&[("weekly", "yes")]), "HotFix Weekly");
        assert_eq!(
            label_of(&[("address", "a@b.example\r\nBcc: c@d.example")]),
            "メールアドレス"
        );
        assert_eq!(label_of(&[("product", "Windows\nXP")]), "対象製品");
        assert_eq!(label_of(&[("product", " ")]), "対象製品");
        assert_eq!(
            label_of(&[("address", "a@b.example"), ("address", "c@d.example")]),
            "メールアドレス"
        );
        assert_eq!(label_of(&[("x-note", "a\rb")]), "x-note");
        assert_eq!(label_of(&[("x\r\ny", "1")]), "不明な項目");
        let many: Vec<(&str, &str)> = vec![("product", "Windows XP"); MAX_PRODUCTS + 1];
        assert_eq!(label_of(&many), "対象製品");
    }
}
