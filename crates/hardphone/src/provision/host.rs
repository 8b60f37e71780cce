//! What the provisioning reads from the machine: the MAC address of the interface carrying the
//! default route, and the URL a DHCP hook left in a file.

use std::path::Path;

use phone::provisioning::{default_route_interface, normalize_mac, parse_dhcp_hint, BaseUrl};

/// The MAC address of the interface of the default IPv4 route (`/proc/net/route`), else of the
/// first interface (by name) with a non-zero address; 12 lower-case hex digits.
pub fn discover_mac() -> Option<String> {
    let net = Path::new("/sys/class/net");
    let address =
        |iface: &str| std::fs::read_to_string(net.join(iface).join("address")).ok().and_then(|t| normalize_mac(&t));
    let routes = std::fs::read_to_string("/proc/net/route").unwrap_or_default();
    if let Some(mac) = default_route_interface(&routes).and_then(address) {
        return Some(mac);
    }
    let mut names: Vec<String> = std::fs::read_dir(net)
        .ok()?
        .filter_map(|entry| entry.ok().and_then(|e| e.file_name().into_string().ok()))
        .filter(|name| name != "lo")
        .collect();
    names.sort();
    names.iter().find_map(|name| address(name))
}

/// The URL in the DHCP hint file: `Ok(None)` when there is no file or it is empty; `Err` with
/// the reason when its content is not a usable URL or host.
pub fn read_dhcp_hint(file: &Path) -> Result<Option<BaseUrl>, String> {
    match std::fs::read_to_string(file) {
        Ok(text) => parse_dhcp_hint(&text).map_err(|e| format!("{}: {e}", file.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(format!("{}: {error}", file.display())),
    }
}
