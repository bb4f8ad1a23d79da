//! Optional Windows components (SMTP, WINS, MSMQ, …): the inventory's
//! vocabulary for them, and the rule that tells which component a fix
//! concerns.
//!
//! A fix for the SMTP service only matters where SMTP is installed: on a
//! Windows Server 2003 without it the package installs into `dllcache`
//! and nothing is at risk. The alerts do not have a "component" field, but
//! every file a package installs carries the vendor's description of it
//! (`SMTP Service`, `WINS SERVER`, `Windows NT MQ Queue Manager`). A
//! package whose files *all* name the same component concerns that
//! component; a package with any other file (the Server driver, a Mail
//! Routing Engine) concerns the platform as a whole. Requiring all files to
//! agree keeps the rule on the safe side: a package that also patches a
//! core file is never skipped because a component is missing.

use std::fmt;

/// One row of the vocabulary: the inventory token, the other spellings an
/// inventory may use, and the words in a file description that name it.
struct Row {
    token: &'static str,
    aliases: &'static [&'static str],
    /// Whole words (or word sequences) of a file description, ASCII case
    /// ignored.
    words: &'static [&'static str],
    /// Japanese and English display name.
    display: &'static str,
}

const ROWS: &[Row] = &[
    Row {
        token: "smtp",
        aliases: &["smtp service", "smtpsvc"],
        words: &["smtp"],
        display: "SMTP",
    },
    Row {
        token: "wins",
        aliases: &["wins server", "windows internet name service"],
        words: &["wins"],
        display: "WINS",
    },
    Row {
        token: "msmq",
        aliases: &["message queuing", "message queue", "mq"],
        words: &["msmq", "mq", "message queuing"],
        display: "MSMQ",
    },
    Row {
        token: "nntp",
        aliases: &["nntp service"],
        words: &["nntp"],
        display: "NNTP",
    },
    Row {
        token: "ftp",
        aliases: &["ftp service", "ftp server"],
        words: &["ftp"],
        display: "FTP",
    },
    Row {
        token: "dhcp",
        aliases: &["dhcp server"],
        words: &["dhcp server"],
        display: "DHCP Server",
    },
    Row {
        token: "dns",
        aliases: &["dns server"],
        words: &["dns server"],
        display: "DNS Server",
    },
    Row {
        token: "iis",
        aliases: &["internet information services", "www"],
        words: &["internet information services"],
        display: "IIS",
    },
    Row {
        token: "terminal_services",
        aliases: &[
            "terminal services",
            "terminal server",
            "remote desktop services",
        ],
        words: &["terminal services", "terminal server"],
        display: "Terminal Services",
    },
    Row {
        token: "rras",
        aliases: &["routing and remote access"],
        words: &["routing and remote access"],
        display: "RRAS",
    },
    Row {
        token: "frontpage_extensions",
        aliases: &["frontpage server extensions"],
        words: &["frontpage server extensions"],
        display: "FrontPage Server Extensions",
    },
    Row {
        token: "indexing_service",
        aliases: &["indexing service", "index server"],
        words: &["indexing service", "index server"],
        display: "Indexing Service",
    },
    Row {
        token: "fax",
        aliases: &["fax service"],
        words: &["fax service"],
        display: "Fax",
    },
    Row {
        token: "telnet",
        aliases: &["telnet server"],
        words: &["telnet"],
        display: "Telnet",
    },
];

/// An optional component, by its inventory token (`smtp`, `msmq`, …). A
/// token outside the vocabulary is kept as written (lower case), so a
/// component no rule knows yet is still carried through.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Component(String);

impl Component {
    /// Reads an inventory's spelling: a token or an alias, any ASCII case,
    /// spaces or underscores. `known` is false for a name outside the
    /// vocabulary.
    pub fn parse(s: &str) -> (Component, bool) {
        let norm = s
            .trim()
            .to_ascii_lowercase()
            .replace(['_', '-'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for r in ROWS {
            if norm == r.token.replace('_', " ") || r.aliases.contains(&norm.as_str()) {
                return (Component(r.token.to_string()), true);
            }
        }
        (Component(norm.replace(' ', "_")), false)
    }

    pub fn token(&self) -> &str {
        &self.0
    }

    /// The name to show: `SMTP`, `MSMQ`, or the token.
    pub fn display(&self) -> &str {
        ROWS.iter()
            .find(|r| r.token == self.0)
            .map_or(self.0.as_str(), |r| r.display)
    }

    /// The component a file description names, if exactly one does.
    pub fn from_description(desc: &str) -> Option<Component> {
        let words: Vec<String> = desc
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        let has = |phrase: &str| {
            let p: Vec<&str> = phrase.split(' ').collect();
            words
                .windows(p.len())
                .any(|w| w.iter().zip(&p).all(|(a, b)| a == b))
        };
        let mut found = ROWS.iter().filter(|r| r.words.iter().any(|w| has(w)));
        match (found.next(), found.next()) {
            (Some(r), None) => Some(Component(r.token.to_string())),
            _ => None,
        }
    }

    /// Every token of the vocabulary, for the schema's description.
    pub fn vocabulary() -> impl Iterator<Item = &'static str> {
        ROWS.iter().map(|r| r.token)
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display())
    }
}

/// The component a package concerns: the one every file's description
/// names. `None` when a file names none, names another, or has no
/// description.
pub fn of_files<'a>(descriptions: impl IntoIterator<Item = Option<&'a str>>) -> Option<Component> {
    let mut out: Option<Component> = None;
    let mut any = false;
    for d in descriptions {
        any = true;
        let c = Component::from_description(d?)?;
        match &out {
            None => out = Some(c),
            Some(o) if *o == c => {}
            Some(_) => return None,
        }
    }
    if any {
        out
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_of_the_seed_files() {
        let c = |d: &str| Component::from_description(d).map(|c| c.token().to_string());
        assert_eq!(c("SMTP Service").as_deref(), Some("smtp"));
        assert_eq!(c("WINS SERVER").as_deref(), Some("wins"));
        assert_eq!(c("Windows NT MQ Queue Manager").as_deref(), Some("msmq"));
        assert_eq!(c("MSMQ ISAPI EXTENSION").as_deref(), Some("msmq"));
        assert_eq!(
            c("Windows NT, MSMQ 2.0 Replication").as_deref(),
            Some("msmq")
        );
        assert_eq!(c("Server driver"), None);
        assert_eq!(c("Mail Routing Engine"), None);
        assert_eq!(c("Microsoft WinSock Proxy Server"), None);
        // "DNS" alone (a resolver) is not the DNS Server component.
        assert_eq!(c("DNS Client API"), None);
    }

    #[test]
    fn a_package_concerns_a_component_only_when_every_file_does() {
        assert_eq!(
            of_files([Some("SMTP Service"), Some("SMTP Service")]).map(|c| c.0),
            Some("smtp".into())
        );
        assert_eq!(
            of_files([Some("SMTP Service"), Some("Server driver")]),
            None
        );
        assert_eq!(of_files([Some("SMTP Service"), None]), None);
        assert_eq!(of_files(std::iter::empty()), None);
    }

    #[test]
    fn inventory_spellings() {
        assert_eq!(Component::parse("SMTP"), (Component("smtp".into()), true));
        assert_eq!(
            Component::parse("Message Queuing"),
            (Component("msmq".into()), true)
        );
        assert_eq!(
            Component::parse("Terminal-Services"),
            (Component("terminal_services".into()), true)
        );
        assert_eq!(
            Component::parse("Contoso Agent"),
            (Component("contoso_agent".into()), false)
        );
    }
}
