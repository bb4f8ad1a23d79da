//! Product names: one catalogue for every part of hfr.
//!
//! Pages print product names inside longer table rows ("Proxy Server 2.0 Windows
//! NT Server 4.0 SP3以降/…"), where only knowing the names tells the columns
//! apart. The fleet check and the vendor-data importers need the same names to
//! agree on what "Windows Server 2003" means. The list is data, kept here so the
//! model stays free of I/O.

/// Product names as the vendor writes them, longest variants included.
pub const PRODUCTS: &[&str] = &[
    "Windows NT Server 4.0 Terminal Server Edition",
    "Windows NT Server 4.0, Enterprise Edition",
    "Windows NT Server 4.0",
    "Windows NT Workstation 4.0",
    "Windows NT 4.0",
    "Windows 2000 Professional",
    "Windows 2000 Advanced Server",
    "Windows 2000 Datacenter Server",
    "Windows 2000 Server",
    "Windows 2000",
    "Windows XP Professional",
    "Windows XP Home Edition",
    "Windows XP Media Center Edition",
    "Windows XP Tablet PC Edition",
    "Windows XP Professional x64 Edition",
    "Windows XP 64-Bit Edition",
    "Windows XP",
    "Windows Server 2003 R2, Enterprise Edition",
    "Windows Server 2003 R2, Standard Edition",
    "Windows Server 2003 R2",
    "Windows Server 2003, Standard Edition",
    "Windows Server 2003, Enterprise Edition",
    "Windows Server 2003, Datacenter Edition",
    "Windows Server 2003, Web Edition",
    "Windows Server 2003 x64 Edition",
    "Windows Server 2003",
    "Windows 98 Second Edition",
    "Windows 98",
    "Windows Me",
    "Small Business Server 2000",
    "Small Business Server 2003",
    "Exchange Server 5.5",
    "Exchange 2000 Server",
    "Exchange Server 2003",
    "ISA Server 2000",
    "ISA Server 2004",
    "Proxy Server 2.0",
    "SQL Server 2000",
    "SQL Server 7.0",
    "MSDE 2000",
    "BizTalk Server 2000",
    "BizTalk Server 2002",
    "BizTalk Server 2004",
    "Internet Explorer 5.01",
    "Internet Explorer 5.5",
    "Internet Explorer 6",
    "Outlook Express 5.5",
    "Outlook Express 6",
    "Windows Media Player",
    "Office XP",
    "Office 2003",
    "Office 2000",
    "Word 2002",
    "Excel 2002",
    "Visio 2002",
    "Project 2002",
    "FrontPage 2002",
    "Windows SharePoint Services",
    "SharePoint Portal Server 2003",
    "Content Management Server 2002",
    "Host Integration Server 2004",
    "Commerce Server 2002",
    "Virtual PC 2004",
    "Virtual Server 2005",
    ".NET Framework 1.0",
    ".NET Framework 1.1",
    ".NET Framework 2.0",
];

/// The longest catalogue name that `text` starts with, followed by the end of
/// the text or a space, with the rest of the text.
pub fn split_product_prefix(text: &str) -> Option<(&'static str, &str)> {
    PRODUCTS
        .iter()
        .filter(|p| {
            text.starts_with(*p)
                && (text.len() == p.len() || text[p.len()..].starts_with([' ', '\u{3000}']))
        })
        .max_by_key(|p| p.len())
        .map(|p| (*p, text[p.len()..].trim_start_matches([' ', '\u{3000}'])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_name_wins() {
        let (p, rest) =
            split_product_prefix("Windows NT Server 4.0 Terminal Server Edition Windows NT")
                .unwrap();
        assert_eq!(p, "Windows NT Server 4.0 Terminal Server Edition");
        assert_eq!(rest, "Windows NT");
        let (p, rest) =
            split_product_prefix("Proxy Server 2.0 Windows NT Server 4.0 SP3以降").unwrap();
        assert_eq!(p, "Proxy Server 2.0");
        assert_eq!(rest, "Windows NT Server 4.0 SP3以降");
    }

    #[test]
    fn a_prefix_must_end_at_a_word() {
        assert!(split_product_prefix("Windows 2000x").is_none());
        assert!(split_product_prefix("Linux").is_none());
    }
}
