//! Who the phone is to the provisioning server and where it finds it: its MAC address (from the
//! texts of `/proc/net/route` and `/sys/class/net/<if>/address`, read by the edge), the URL a
//! DHCP hook left in a file, the User-Agent and the hash of the configuration it runs.

use sha2::{Digest, Sha256};

use super::url::{BaseUrl, UrlError};

/// The header carrying [`config_hash`] on every request.
pub const CONFIG_HASH_HEADER: &str = "X-Hardphone-Config-Hash";

/// A MAC address as 12 lower-case hexadecimal digits (`0a1b2c3d4e5f`) from `aa:bb:cc:dd:ee:ff`,
/// `AA-BB-...` or 12 digits; `None` for anything else and for the all-zero address (a loopback
/// interface's).
pub fn normalize_mac(text: &str) -> Option<String> {
    let text = text.trim();
    let digits: String = if text.len() == 17 {
        let separator = text.as_bytes()[2];
        if !matches!(separator, b':' | b'-') {
            return None;
        }
        let groups: Vec<&str> = text.split(separator as char).collect();
        if groups.len() != 6 || groups.iter().any(|g| g.len() != 2) {
            return None;
        }
        groups.concat()
    } else {
        text.to_owned()
    };
    let valid = digits.len() == 12 && digits.bytes().all(|b| b.is_ascii_hexdigit());
    (valid && digits.bytes().any(|b| b != b'0')).then(|| digits.to_ascii_lowercase())
}

/// The interface of the default IPv4 route in the text of `/proc/net/route`: destination and
/// mask 0, flag RTF_UP; the lowest metric wins when there are several.
pub fn default_route_interface(proc_net_route: &str) -> Option<&str> {
    const RTF_UP: u32 = 0x1;
    let mut best: Option<(u32, &str)> = None;
    for line in proc_net_route.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [iface, destination, _gateway, flags, _refcnt, _use, metric, mask, ..] = fields[..] else { continue };
        let up = u32::from_str_radix(flags, 16).is_ok_and(|f| f & RTF_UP != 0);
        if destination != "00000000" || mask != "00000000" || !up {
            continue;
        }
        let metric = metric.parse().unwrap_or(u32::MAX);
        if best.is_none_or(|(lowest, _)| metric < lowest) {
            best = Some((metric, iface));
        }
    }
    best.map(|(_, iface)| iface)
}

/// The provisioning URL in a file written by a DHCP hook (option 66 or 160): a URL, or a bare
/// host (`10.0.0.5`, `prov.example.com`, `prov.example.com:8080`) meaning `http://<host>/`.
/// White space and one pair of surrounding quotes are ignored; an empty file is `Ok(None)`.
pub fn parse_dhcp_hint(text: &str) -> Result<Option<BaseUrl>, UrlError> {
    let mut text = text.trim();
    if text.len() >= 2 && text.starts_with('"') && text.ends_with('"') {
        text = text[1..text.len() - 1].trim();
    }
    if text.is_empty() {
        return Ok(None);
    }
    if text.contains("://") {
        BaseUrl::parse(text).map(Some)
    } else {
        BaseUrl::parse(&format!("http://{text}")).map(Some)
    }
}

/// Where the provisioning URL came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlSource {
    /// `hardphone --provisioning-url`.
    CommandLine,
    /// `[provisioning] url` (the `--config` file or a provisioned layer).
    Config,
    /// The file a DHCP hook wrote.
    Dhcp,
}

impl UrlSource {
    /// One word for logs and `ctl status`.
    pub fn name(self) -> &'static str {
        match self {
            UrlSource::CommandLine => "command-line",
            UrlSource::Config => "config",
            UrlSource::Dhcp => "dhcp",
        }
    }
}

/// The URL to use: the command line's, else the configuration's, else the DHCP hint's; the
/// first one present wins (a present but unusable one is not skipped: the caller reports it).
pub fn choose_url<'a>(
    command_line: Option<&'a BaseUrl>,
    config: Option<&'a BaseUrl>,
    dhcp: Option<&'a BaseUrl>,
) -> Option<(&'a BaseUrl, UrlSource)> {
    command_line
        .map(|url| (url, UrlSource::CommandLine))
        .or(config.map(|url| (url, UrlSource::Config)))
        .or(dhcp.map(|url| (url, UrlSource::Dhcp)))
}

/// The files fetched, in order, relative to the base URL: `common.toml`, `model/<model>.toml`,
/// `<mac>.toml`.
pub fn layer_files(model: &str, mac: &str) -> [String; 3] {
    ["common.toml".to_owned(), format!("model/{model}.toml"), format!("{mac}.toml")]
}

/// `Hardphone/<version> (<model>; <mac>)`.
pub fn user_agent(version: &str, model: &str, mac: &str) -> String {
    format!("Hardphone/{version} ({model}; {mac})")
}

/// The hash of the provisioned configuration a phone runs, 64 lower-case hex digits: SHA-256
/// over, for the common, model and MAC layers in that order, the layer text's length in bytes
/// as 8 bytes big-endian and then the text (a missing layer is length 0, no text).
/// The one implementation: the phone hashes its texts, the server (`hardphone-provision`)
/// the bytes it would serve.
pub fn config_hash<T: AsRef<[u8]>>(layers: [T; 3]) -> String {
    let mut hasher = Sha256::new();
    for layer in layers {
        let bytes = layer.as_ref();
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
