//! The base products: one row per product a vendor sells or ships, with the
//! spellings that name it and the editions it comes in.
//!
//! Everything the parser knows about names lives here, so teaching hfr a new
//! product is adding a row, not code. A row names the product once, in the
//! vendor's spelling without the "Microsoft " prefix (the parser drops that
//! prefix before looking anything up), plus a short slug for ids. Qualifiers
//! that cut across products (architecture, service pack, Server Core, …) are
//! not spelled here: the parser peels them off the name before the lookup.

use rustc_hash::FxHashMap;
use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Product families, for grouping products in lists and subscriptions.
///
/// Close to MSRC's "Product Family" branches, but split where an
/// administrator thinks in different terms (a browser is not an operating
/// system even though Windows ships it).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Operating systems: Windows, Windows Server, Small Business Server.
    Windows,
    /// Parts of Windows patched on their own: MSXML, VBScript, IIS, ….
    WindowsComponent,
    /// Internet Explorer, Edge, ChakraCore.
    Browser,
    /// .NET Framework, .NET Core, Silverlight, Mono, ….
    DotNet,
    /// Office suites and applications, viewers, Lync / Skype for Business.
    Office,
    /// SharePoint and the services that run on it.
    SharePoint,
    /// Exchange Server.
    Exchange,
    /// SQL Server and MSDE.
    SqlServer,
    /// Defender, Security Essentials, the Endpoint Protection products.
    Security,
    /// Other server products: ISA, Proxy, BizTalk, Host Integration, ….
    Server,
    /// Hardware (Surface).
    Device,
    /// Apple's operating system, as a platform for Microsoft software.
    Mac,
    /// Other vendors' software that Microsoft patches (Adobe Flash Player).
    ThirdParty,
    /// Anything else.
    Other,
}

/// What kind of thing a base product is. The parser needs it to read the
/// vendor's inverted "X on Y" names, and [`covers`](super::Product::covers)
/// needs it for the generic rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An operating system: something other products run on.
    Os,
    /// An application or server product.
    App,
    /// Something the vendor names "on" a host: a browser on Windows, .NET on
    /// Windows, Word Automation Services on SharePoint.
    Component,
    /// A whole operating-system line without a version ("Windows",
    /// "Mac OS"): covers every [`Kind::Os`] row of its family.
    Generic,
}

/// How a release is written after the product name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseStyle {
    /// `Windows 10 Version 1607`.
    Version,
    /// `Windows Server, version 1709`.
    CommaVersion,
    /// `.NET Framework 4.6.2`, `Excel Viewer 2007`.
    Plain,
}

/// An edition of a base product.
#[derive(Debug)]
pub struct Edition {
    /// The edition as the vendor words it after the product name
    /// (`Enterprise Edition`, `Advanced Server`, `RT`).
    pub name: &'static str,
    /// Its id segment, unique within the row.
    pub slug: &'static str,
    /// A broader edition of the same row this one falls under: Windows 2000
    /// Advanced Server is a Windows 2000 Server, so an alert for "Windows 2000
    /// Server" concerns it too.
    pub within: Option<&'static str>,
    /// Whole spellings of product plus edition; `{}` stands for the row's name
    /// or any alias. The first one is the canonical display.
    pub forms: &'static [&'static str],
}

/// One base product.
#[derive(Debug)]
pub struct BaseProduct {
    /// Vendor spelling without "Microsoft ": `Windows Server 2003`, `Word 2016`.
    pub name: &'static str,
    /// Lower-case id segment, unique: `windows-server-2003`, `word-2016`.
    pub slug: &'static str,
    pub family: Family,
    pub kind: Kind,
    /// Other spellings of the same product.
    pub aliases: &'static [&'static str],
    pub editions: &'static [Edition],
    /// A bare version number after the name is a release of this product
    /// (`.NET Framework 4.6.2`, `Excel Viewer 2007`), and the vendor may list
    /// several (`4.6/4.6.1`).
    pub versioned: bool,
    pub release_style: ReleaseStyle,
    /// A broader base product this one is a variant of: Windows Server 2003
    /// R2 is Windows Server 2003 with extras and takes its updates.
    pub within: Option<&'static str>,
    /// The name alone is too vague to recognise at the start of a longer
    /// text (`Windows`, `Windows Server`): [`super::split_product_prefix`]
    /// skips it.
    pub bare: bool,
}

impl BaseProduct {
    /// The edition called `name`, if the row knows it.
    pub fn edition(&self, name: &str) -> Option<&'static Edition> {
        self.editions.iter().find(|e| e.name == name)
    }

    /// The edition with id segment `slug`.
    pub fn edition_by_slug(&self, slug: &str) -> Option<&'static Edition> {
        self.editions.iter().find(|e| e.slug == slug)
    }

    /// Whether edition `inner` is `outer` or falls under it.
    pub fn edition_within(&self, inner: &str, outer: &str) -> bool {
        let mut cur = Some(inner);
        // Bounded walk: a cycle in the data must not hang the caller.
        for _ in 0..=self.editions.len() {
            match cur {
                Some(e) if e == outer => return true,
                Some(e) => cur = self.edition(e).and_then(|e| e.within),
                None => return false,
            }
        }
        false
    }

    /// Every spelling of the name alone: the name first, then the aliases.
    pub fn spellings(&self) -> impl Iterator<Item = &'static str> + '_ {
        std::iter::once(self.name).chain(self.aliases.iter().copied())
    }
}

const fn base(name: &'static str, slug: &'static str, family: Family, kind: Kind) -> BaseProduct {
    BaseProduct {
        name,
        slug,
        family,
        kind,
        aliases: &[],
        editions: &[],
        versioned: false,
        release_style: ReleaseStyle::Version,
        within: None,
        bare: false,
    }
}

const fn os(name: &'static str, slug: &'static str, editions: &'static [Edition]) -> BaseProduct {
    BaseProduct {
        editions,
        ..base(name, slug, Family::Windows, Kind::Os)
    }
}

const fn app(name: &'static str, slug: &'static str, family: Family) -> BaseProduct {
    base(name, slug, family, Kind::App)
}

const fn component(name: &'static str, slug: &'static str, family: Family) -> BaseProduct {
    base(name, slug, family, Kind::Component)
}

/// Office applications: the 2013 generation also ships for Windows RT.
const fn office(name: &'static str, slug: &'static str) -> BaseProduct {
    app(name, slug, Family::Office)
}

const fn office_rt(name: &'static str, slug: &'static str) -> BaseProduct {
    BaseProduct {
        editions: OFFICE_RT,
        ..office(name, slug)
    }
}

/// A product line whose version follows its name (`.NET Framework 4.6.2`).
const fn versioned(mut b: BaseProduct) -> BaseProduct {
    b.versioned = true;
    b.release_style = ReleaseStyle::Plain;
    b
}

const fn ed(name: &'static str, slug: &'static str, forms: &'static [&'static str]) -> Edition {
    Edition {
        name,
        slug,
        within: None,
        forms,
    }
}

const fn ed_in(
    name: &'static str,
    slug: &'static str,
    within: &'static str,
    forms: &'static [&'static str],
) -> Edition {
    Edition {
        name,
        slug,
        within: Some(within),
        forms,
    }
}

use Family::*;

const OFFICE_RT: &[Edition] = &[ed("RT", "rt", &["{} RT"])];

const SERVER_2003: &[Edition] = &[
    ed(
        "Standard Edition",
        "standard",
        &[
            "{}, Standard Edition",
            "{} Standard Edition",
            "{}, Standard",
            "{} Standard",
        ],
    ),
    ed(
        "Enterprise Edition",
        "enterprise",
        &[
            "{}, Enterprise Edition",
            "{} Enterprise Edition",
            "{}, Enterprise",
            "{} Enterprise",
        ],
    ),
    ed(
        "Datacenter Edition",
        "datacenter",
        &[
            "{}, Datacenter Edition",
            "{} Datacenter Edition",
            "{}, Datacenter",
            "{} Datacenter",
        ],
    ),
    ed(
        "Web Edition",
        "web",
        &["{}, Web Edition", "{} Web Edition", "{}, Web", "{} Web"],
    ),
];

/// Windows Server 2008 and later: the edition is a bare word after the name.
const SERVER: &[Edition] = &[
    ed("Standard", "standard", &["{} Standard"]),
    ed("Enterprise", "enterprise", &["{} Enterprise"]),
    ed("Datacenter", "datacenter", &["{} Datacenter"]),
    ed("Web", "web", &["{} Web"]),
    ed("Foundation", "foundation", &["{} Foundation"]),
    ed("Essentials", "essentials", &["{} Essentials"]),
];

const CLIENT_VISTA_7: &[Edition] = &[
    ed("Starter", "starter", &["{} Starter"]),
    ed("Home Basic", "home-basic", &["{} Home Basic"]),
    ed("Home Premium", "home-premium", &["{} Home Premium"]),
    ed("Business", "business", &["{} Business"]),
    ed("Professional", "professional", &["{} Professional"]),
    ed("Enterprise", "enterprise", &["{} Enterprise"]),
    ed("Ultimate", "ultimate", &["{} Ultimate"]),
];

const CLIENT_10: &[Edition] = &[
    ed("Home", "home", &["{} Home"]),
    ed("Pro", "pro", &["{} Pro"]),
    ed("Enterprise", "enterprise", &["{} Enterprise"]),
    ed("Education", "education", &["{} Education"]),
];

/// The base products. Order does not matter; slugs and spellings must be
/// unique (a test checks).
pub static BASES: &[BaseProduct] = &[
    // ── Windows ─────────────────────────────────────────────────────────
    BaseProduct {
        bare: true,
        ..base("Windows", "windows", Windows, Kind::Generic)
    },
    os(
        "Windows 98",
        "windows-98",
        &[ed(
            "Second Edition",
            "second-edition",
            &["{} Second Edition", "{} SE"],
        )],
    ),
    BaseProduct {
        aliases: &["Windows Millennium Edition"],
        ..os("Windows Me", "windows-me", &[])
    },
    os(
        "Windows NT 4.0",
        "windows-nt-4.0",
        &[
            ed(
                "Workstation",
                "workstation",
                &["Windows NT Workstation 4.0", "{} Workstation"],
            ),
            ed("Server", "server", &["Windows NT Server 4.0", "{} Server"]),
            ed_in(
                "Server, Enterprise Edition",
                "server-enterprise",
                "Server",
                &[
                    "Windows NT Server 4.0, Enterprise Edition",
                    "Windows NT Server 4.0 Enterprise Edition",
                    "Windows NT Server, Enterprise Edition 4.0",
                ],
            ),
            // Terminal Server Edition had its own service packs and packages,
            // so it is not treated as falling under "Server".
            ed(
                "Terminal Server Edition",
                "terminal-server",
                &[
                    "Windows NT Server 4.0 Terminal Server Edition",
                    "Windows NT Server 4.0, Terminal Server Edition",
                    "{} Terminal Server Edition",
                ],
            ),
        ],
    ),
    os(
        "Windows 2000",
        "windows-2000",
        &[
            ed("Professional", "professional", &["{} Professional"]),
            ed("Server", "server", &["{} Server"]),
            ed_in(
                "Advanced Server",
                "advanced-server",
                "Server",
                &["{} Advanced Server"],
            ),
            ed_in(
                "Datacenter Server",
                "datacenter-server",
                "Server",
                &["{} Datacenter Server"],
            ),
        ],
    ),
    os(
        "Windows XP",
        "windows-xp",
        &[
            ed("Home Edition", "home", &["{} Home Edition"]),
            ed("Professional", "professional", &["{} Professional"]),
            ed(
                "Media Center Edition",
                "media-center",
                &["{} Media Center Edition"],
            ),
            ed("Tablet PC Edition", "tablet-pc", &["{} Tablet PC Edition"]),
        ],
    ),
    os("Windows Server 2003", "windows-server-2003", SERVER_2003),
    BaseProduct {
        within: Some("Windows Server 2003"),
        ..os(
            "Windows Server 2003 R2",
            "windows-server-2003-r2",
            SERVER_2003,
        )
    },
    BaseProduct {
        aliases: &["Windows Small Business Server 2000", "SBS 2000"],
        ..os("Small Business Server 2000", "sbs-2000", &[])
    },
    BaseProduct {
        aliases: &["Windows Small Business Server 2003", "SBS 2003"],
        ..os(
            "Small Business Server 2003",
            "sbs-2003",
            &[
                ed(
                    "Standard Edition",
                    "standard",
                    &["{} Standard Edition", "{}, Standard Edition"],
                ),
                ed(
                    "Premium Edition",
                    "premium",
                    &["{} Premium Edition", "{}, Premium Edition"],
                ),
            ],
        )
    },
    os("Windows Vista", "windows-vista", CLIENT_VISTA_7),
    os("Windows Server 2008", "windows-server-2008", SERVER),
    os("Windows 7", "windows-7", CLIENT_VISTA_7),
    os("Windows Server 2008 R2", "windows-server-2008-r2", SERVER),
    os(
        "Windows 8",
        "windows-8",
        &[
            ed("Pro", "pro", &["{} Pro"]),
            ed("Enterprise", "enterprise", &["{} Enterprise"]),
            ed("RT", "rt", &["Windows RT", "{} RT"]),
        ],
    ),
    os(
        "Windows 8.1",
        "windows-8.1",
        &[
            ed("Pro", "pro", &["{} Pro"]),
            ed("Enterprise", "enterprise", &["{} Enterprise"]),
            ed("RT", "rt", &["Windows RT 8.1", "{} RT"]),
        ],
    ),
    os("Windows Server 2012", "windows-server-2012", SERVER),
    os("Windows Server 2012 R2", "windows-server-2012-r2", SERVER),
    os("Windows 10", "windows-10", CLIENT_10),
    os("Windows Server 2016", "windows-server-2016", SERVER),
    // The semi-annual channel: "Windows Server, version 1709".
    BaseProduct {
        release_style: ReleaseStyle::CommaVersion,
        bare: true,
        ..os("Windows Server", "windows-server", SERVER)
    },
    os("Windows Server 2019", "windows-server-2019", SERVER),
    os("Windows 11", "windows-11", CLIENT_10),
    os("Windows Server 2022", "windows-server-2022", SERVER),
    // ── Parts of Windows ────────────────────────────────────────────────
    BaseProduct {
        aliases: &["MSXML 3.0"],
        ..component("XML Core Services 3.0", "msxml-3.0", WindowsComponent)
    },
    BaseProduct {
        aliases: &["MSXML 4.0"],
        ..component("XML Core Services 4.0", "msxml-4.0", WindowsComponent)
    },
    BaseProduct {
        aliases: &["MSXML 6.0"],
        ..component("XML Core Services 6.0", "msxml-6.0", WindowsComponent)
    },
    component("VBScript 5.6", "vbscript-5.6", WindowsComponent),
    component("VBScript 5.7", "vbscript-5.7", WindowsComponent),
    component("VBScript 5.8", "vbscript-5.8", WindowsComponent),
    component("JScript 5.6", "jscript-5.6", WindowsComponent),
    component("JScript 5.7", "jscript-5.7", WindowsComponent),
    component("JScript 5.8", "jscript-5.8", WindowsComponent),
    component(
        "Windows Hyperlink Object Library",
        "hyperlink-object-library",
        WindowsComponent,
    ),
    versioned(component(
        "Windows Media Player",
        "windows-media-player",
        WindowsComponent,
    )),
    component(
        "Outlook Express 5.5",
        "outlook-express-5.5",
        WindowsComponent,
    ),
    component("Outlook Express 6", "outlook-express-6", WindowsComponent),
    BaseProduct {
        aliases: &["Internet Information Services 5.0"],
        ..component("IIS 5.0", "iis-5.0", WindowsComponent)
    },
    BaseProduct {
        aliases: &["Internet Information Services 6.0"],
        ..component("IIS 6.0", "iis-6.0", WindowsComponent)
    },
    // ── Browsers ────────────────────────────────────────────────────────
    BaseProduct {
        aliases: &["IE 5.01"],
        ..component("Internet Explorer 5.01", "ie-5.01", Browser)
    },
    BaseProduct {
        aliases: &["IE 5.5"],
        ..component("Internet Explorer 5.5", "ie-5.5", Browser)
    },
    BaseProduct {
        aliases: &["IE 6", "Internet Explorer 6.0"],
        ..component("Internet Explorer 6", "ie-6", Browser)
    },
    BaseProduct {
        aliases: &["IE 7"],
        ..component("Internet Explorer 7", "ie-7", Browser)
    },
    BaseProduct {
        aliases: &["IE 8"],
        ..component("Internet Explorer 8", "ie-8", Browser)
    },
    BaseProduct {
        aliases: &["IE 9"],
        ..component("Internet Explorer 9", "ie-9", Browser)
    },
    BaseProduct {
        aliases: &["IE 10"],
        ..component("Internet Explorer 10", "ie-10", Browser)
    },
    BaseProduct {
        aliases: &["IE 11"],
        ..component("Internet Explorer 11", "ie-11", Browser)
    },
    // "Edge" alone would also name the later Chromium-based browser, so only
    // the explicit spelling is known.
    BaseProduct {
        aliases: &["Edge (EdgeHTML)"],
        ..component("Edge (EdgeHTML-based)", "edge-html", Browser)
    },
    app("ChakraCore", "chakracore", Browser),
    // ── .NET and developer runtimes ─────────────────────────────────────
    versioned(component(".NET Framework", "dotnet-framework", DotNet)),
    versioned(app(".NET Core", "dotnet-core", DotNet)),
    versioned(app("ASP.NET Core", "aspnet-core", DotNet)),
    BaseProduct {
        release_style: ReleaseStyle::Version,
        ..versioned(app("Mono Framework", "mono", DotNet))
    },
    app("Xamarin.iOS", "xamarin-ios", DotNet),
    BaseProduct {
        editions: &[ed(
            "Developer Runtime",
            "developer-runtime",
            &["{} Developer Runtime"],
        )],
        ..component("Silverlight 5", "silverlight-5", DotNet)
    },
    // ── Office ──────────────────────────────────────────────────────────
    office("Office 2000", "office-2000"),
    BaseProduct {
        aliases: &["Office 2002"],
        ..office("Office XP", "office-xp")
    },
    office("Office 2003", "office-2003"),
    office("Office 2007", "office-2007"),
    office("Office 2010", "office-2010"),
    office("Office 2011", "office-2011"),
    office_rt("Office 2013", "office-2013"),
    office("Office 2016", "office-2016"),
    office("Word 2002", "word-2002"),
    office("Word 2003", "word-2003"),
    office("Word 2007", "word-2007"),
    office("Word 2010", "word-2010"),
    office("Word 2011", "word-2011"),
    office_rt("Word 2013", "word-2013"),
    office("Word 2016", "word-2016"),
    office("Excel 2002", "excel-2002"),
    office("Excel 2003", "excel-2003"),
    office("Excel 2007", "excel-2007"),
    office("Excel 2010", "excel-2010"),
    office("Excel 2011", "excel-2011"),
    office_rt("Excel 2013", "excel-2013"),
    office("Excel 2016", "excel-2016"),
    office("PowerPoint 2002", "powerpoint-2002"),
    office("PowerPoint 2003", "powerpoint-2003"),
    office("PowerPoint 2007", "powerpoint-2007"),
    office("PowerPoint 2010", "powerpoint-2010"),
    office("PowerPoint 2011", "powerpoint-2011"),
    office_rt("PowerPoint 2013", "powerpoint-2013"),
    office("PowerPoint 2016", "powerpoint-2016"),
    office("Outlook 2002", "outlook-2002"),
    office("Outlook 2003", "outlook-2003"),
    office("Outlook 2007", "outlook-2007"),
    office("Outlook 2010", "outlook-2010"),
    office("Outlook 2011", "outlook-2011"),
    office_rt("Outlook 2013", "outlook-2013"),
    office("Outlook 2016", "outlook-2016"),
    office("OneNote 2007", "onenote-2007"),
    office("OneNote 2010", "onenote-2010"),
    office_rt("OneNote 2013", "onenote-2013"),
    office("OneNote 2016", "onenote-2016"),
    office("Publisher 2007", "publisher-2007"),
    office("Publisher 2010", "publisher-2010"),
    office("Publisher 2013", "publisher-2013"),
    office("Publisher 2016", "publisher-2016"),
    office("Visio 2002", "visio-2002"),
    office("Visio 2007", "visio-2007"),
    office("Visio 2010", "visio-2010"),
    office("Visio 2013", "visio-2013"),
    office("Visio 2016", "visio-2016"),
    office("Project 2002", "project-2002"),
    office("FrontPage 2002", "frontpage-2002"),
    BaseProduct {
        aliases: &["Office Word Viewer"],
        ..versioned(office("Word Viewer", "word-viewer"))
    },
    versioned(office("Excel Viewer", "excel-viewer")),
    versioned(office("PowerPoint Viewer", "powerpoint-viewer")),
    versioned(office("Visio Viewer", "visio-viewer")),
    office("Office Compatibility Pack", "office-compatibility-pack"),
    office("Office Web Apps 2010", "office-web-apps-2010"),
    office("Office Web Apps 2013", "office-web-apps-2013"),
    office("Office Web Apps Server 2010", "office-web-apps-server-2010"),
    office("Office Web Apps Server 2013", "office-web-apps-server-2013"),
    office("Excel Web App 2010", "excel-web-app-2010"),
    office("Excel Web App 2013", "excel-web-app-2013"),
    versioned(office("Office Online Server", "office-online-server")),
    BaseProduct {
        editions: &[
            ed("Attendee", "attendee", &["{} Attendee"]),
            ed_in(
                "Attendee (admin level install)",
                "attendee-admin",
                "Attendee",
                &["{} Attendee (admin level install)"],
            ),
            ed_in(
                "Attendee (user level install)",
                "attendee-user",
                "Attendee",
                &["{} Attendee (user level install)"],
            ),
        ],
        ..office("Lync 2010", "lync-2010")
    },
    office("Lync 2011", "lync-2011"),
    BaseProduct {
        editions: &[ed("Basic", "basic", &["Lync Basic 2013", "{} Basic"])],
        ..office("Lync 2013", "lync-2013")
    },
    BaseProduct {
        editions: &[ed(
            "Basic",
            "basic",
            &["{} Basic", "Skype for Business Basic 2016"],
        )],
        ..office("Skype for Business 2016", "skype-for-business-2016")
    },
    BaseProduct {
        editions: &[
            ed("Console", "console", &["{} Console"]),
            ed("Add-in", "add-in", &["{} Add-in"]),
        ],
        ..office("Live Meeting 2007", "live-meeting-2007")
    },
    office("AutoUpdate", "autoupdate"),
    // ── SharePoint ──────────────────────────────────────────────────────
    versioned(app(
        "Windows SharePoint Services",
        "windows-sharepoint-services",
        SharePoint,
    )),
    app(
        "SharePoint Portal Server 2003",
        "sharepoint-portal-server-2003",
        SharePoint,
    ),
    BaseProduct {
        aliases: &["Office SharePoint Server 2007"],
        ..app(
            "SharePoint Server 2007",
            "sharepoint-server-2007",
            SharePoint,
        )
    },
    app(
        "SharePoint Server 2010",
        "sharepoint-server-2010",
        SharePoint,
    ),
    BaseProduct {
        editions: &[ed(
            "Enterprise",
            "enterprise",
            &["SharePoint Enterprise Server 2013", "{} Enterprise"],
        )],
        ..app(
            "SharePoint Server 2013",
            "sharepoint-server-2013",
            SharePoint,
        )
    },
    BaseProduct {
        editions: &[ed(
            "Enterprise",
            "enterprise",
            &["SharePoint Enterprise Server 2016", "{} Enterprise"],
        )],
        ..app(
            "SharePoint Server 2016",
            "sharepoint-server-2016",
            SharePoint,
        )
    },
    app(
        "SharePoint Foundation 2010",
        "sharepoint-foundation-2010",
        SharePoint,
    ),
    app(
        "SharePoint Foundation 2013",
        "sharepoint-foundation-2013",
        SharePoint,
    ),
    app("Project Server 2013", "project-server-2013", SharePoint),
    app(
        "Business Productivity Servers 2010",
        "business-productivity-servers-2010",
        SharePoint,
    ),
    component("Excel Services", "excel-services", SharePoint),
    component(
        "Excel Automation Services",
        "excel-automation-services",
        SharePoint,
    ),
    component(
        "Word Automation Services",
        "word-automation-services",
        SharePoint,
    ),
    // ── Exchange ────────────────────────────────────────────────────────
    app("Exchange Server 5.5", "exchange-5.5", Exchange),
    BaseProduct {
        aliases: &["Exchange Server 2000"],
        ..app("Exchange 2000 Server", "exchange-2000", Exchange)
    },
    app("Exchange Server 2003", "exchange-2003", Exchange),
    app("Exchange Server 2007", "exchange-2007", Exchange),
    app("Exchange Server 2010", "exchange-2010", Exchange),
    app("Exchange Server 2013", "exchange-2013", Exchange),
    app("Exchange Server 2016", "exchange-2016", Exchange),
    app("Exchange Server 2019", "exchange-2019", Exchange),
    // ── SQL Server ──────────────────────────────────────────────────────
    app("SQL Server 7.0", "sql-server-7.0", SqlServer),
    app("SQL Server 2000", "sql-server-2000", SqlServer),
    BaseProduct {
        aliases: &["SQL Server 2000 Desktop Engine"],
        ..app("MSDE 2000", "msde-2000", SqlServer)
    },
    app("SQL Server 2005", "sql-server-2005", SqlServer),
    app("SQL Server 2008", "sql-server-2008", SqlServer),
    app("SQL Server 2008 R2", "sql-server-2008-r2", SqlServer),
    app("SQL Server 2012", "sql-server-2012", SqlServer),
    app("SQL Server 2014", "sql-server-2014", SqlServer),
    app("SQL Server 2016", "sql-server-2016", SqlServer),
    app("SQL Server 2017", "sql-server-2017", SqlServer),
    // ── Security products ───────────────────────────────────────────────
    component("Windows Defender", "windows-defender", Security),
    app("Security Essentials", "security-essentials", Security),
    app("Endpoint Protection", "endpoint-protection", Security),
    app(
        "System Center Endpoint Protection",
        "system-center-endpoint-protection",
        Security,
    ),
    versioned(app(
        "Forefront Endpoint Protection",
        "forefront-endpoint-protection",
        Security,
    )),
    app(
        "Windows Intune Endpoint Protection",
        "intune-endpoint-protection",
        Security,
    ),
    app(
        "Forefront Security for SharePoint",
        "forefront-security-for-sharepoint",
        Security,
    ),
    // ── Other server products ───────────────────────────────────────────
    BaseProduct {
        editions: &[
            ed(
                "Standard Edition",
                "standard",
                &["{} Standard Edition", "{} Standard"],
            ),
            ed(
                "Enterprise Edition",
                "enterprise",
                &["{} Enterprise Edition", "{} Enterprise"],
            ),
        ],
        ..app("ISA Server 2000", "isa-2000", Server)
    },
    app("ISA Server 2004", "isa-2004", Server),
    app("ISA Server 2006", "isa-2006", Server),
    app("Proxy Server 2.0", "proxy-server-2.0", Server),
    app("BizTalk Server 2000", "biztalk-2000", Server),
    app("BizTalk Server 2002", "biztalk-2002", Server),
    app("BizTalk Server 2004", "biztalk-2004", Server),
    app(
        "Content Management Server 2002",
        "content-management-server-2002",
        Server,
    ),
    app(
        "Host Integration Server 2004",
        "host-integration-server-2004",
        Server,
    ),
    app("Commerce Server 2002", "commerce-server-2002", Server),
    app("Virtual Server 2005", "virtual-server-2005", Other),
    app("Virtual PC 2004", "virtual-pc-2004", Other),
    // ── Devices, other platforms, other vendors ─────────────────────────
    app("Surface Pro 4", "surface-pro-4", Device),
    app("Surface Studio", "surface-studio", Device),
    BaseProduct {
        aliases: &["Apple Mac OS", "Mac OS X", "macOS"],
        editions: &[ed("Intel-based", "intel", &["{} (Intel-based)"])],
        bare: true,
        ..base("Mac OS", "mac-os", Mac, Kind::Generic)
    },
    component("Adobe Flash Player", "adobe-flash-player", ThirdParty),
];

/// The lookup key of a spelling: lower case, commas dropped, single spaces.
/// "Windows Server 2003, Enterprise Edition" and "windows server 2003
/// enterprise edition" are the same key.
pub(crate) fn key(s: &str) -> String {
    s.to_lowercase()
        .replace(',', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a spelling names: a row and maybe one of its editions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub row: usize,
    pub edition: Option<usize>,
}

pub(crate) struct Index {
    /// key → what it names. Built from names, aliases and edition forms.
    pub spellings: FxHashMap<String, Hit>,
    /// Every spelling with the row it belongs to (for the prefix search),
    /// with duplicates of the same key from different rows kept so a test
    /// can report them.
    pub all: Vec<(String, Hit)>,
    pub by_name: FxHashMap<&'static str, usize>,
    pub by_slug: FxHashMap<&'static str, usize>,
}

/// The spellings an edition's forms expand to for one row.
pub(crate) fn edition_spellings(row: &BaseProduct, e: &Edition) -> Vec<String> {
    let mut out = Vec::new();
    for f in e.forms {
        if f.contains("{}") {
            out.extend(row.spellings().map(|s| f.replace("{}", s)));
        } else {
            out.push((*f).to_string());
        }
    }
    out
}

pub(crate) fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut all = Vec::new();
        // Looked up for every product match (a fleet check asks some
        // hundred thousand times): a fast hash for these short keys.
        let (mut by_name, mut by_slug) = (FxHashMap::default(), FxHashMap::default());
        for (i, row) in BASES.iter().enumerate() {
            by_name.insert(row.name, i);
            by_slug.insert(row.slug, i);
            for s in row.spellings() {
                all.push((
                    s.to_string(),
                    Hit {
                        row: i,
                        edition: None,
                    },
                ));
            }
            for (j, e) in row.editions.iter().enumerate() {
                for s in edition_spellings(row, e) {
                    all.push((
                        s,
                        Hit {
                            row: i,
                            edition: Some(j),
                        },
                    ));
                }
            }
        }
        let mut spellings = FxHashMap::default();
        for (s, hit) in &all {
            // The first spelling wins; the table test asserts there is no
            // second one with another meaning.
            spellings.entry(key(s)).or_insert(*hit);
        }
        Index {
            spellings,
            all,
            by_name,
            by_slug,
        }
    })
}

/// The row whose canonical name is `name`.
pub fn lookup(name: &str) -> Option<&'static BaseProduct> {
    index().by_name.get(name).map(|&i| &BASES[i])
}

/// The row whose slug is `slug`.
pub fn lookup_slug(slug: &str) -> Option<&'static BaseProduct> {
    index().by_slug.get(slug).map(|&i| &BASES[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn slugs_and_names_are_unique_and_tidy() {
        let mut slugs = HashSet::new();
        let mut names = HashSet::new();
        for row in BASES {
            assert!(slugs.insert(row.slug), "slug {} twice", row.slug);
            assert!(names.insert(row.name), "name {} twice", row.name);
            assert!(
                row.slug
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-'),
                "slug {}",
                row.slug
            );
            assert!(!row.name.starts_with("Microsoft "), "{}", row.name);
            let mut ed_slugs = HashSet::new();
            for e in row.editions {
                assert!(ed_slugs.insert(e.slug), "{}: edition {}", row.name, e.slug);
                assert!(!e.forms.is_empty(), "{}: {}", row.name, e.name);
                if let Some(w) = e.within {
                    assert!(row.edition(w).is_some(), "{}: within {w}", row.name);
                }
            }
            if let Some(w) = row.within {
                assert!(lookup(w).is_some(), "{}: within {w}", row.name);
            }
        }
    }

    #[test]
    fn no_spelling_means_two_things() {
        let mut seen: std::collections::HashMap<String, (Hit, &str)> =
            std::collections::HashMap::new();
        for (s, hit) in &index().all {
            if let Some((other, first)) = seen.insert(key(s), (*hit, s)) {
                assert_eq!(other, *hit, "{s:?} and {first:?}");
            }
        }
    }
}
