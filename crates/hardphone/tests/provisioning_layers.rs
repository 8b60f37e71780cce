//! The precedence of the configuration layers (docs/PROVISIONING.md), lowest first: built-in
//! defaults → the `--config` file → provisioned common → provisioned model → provisioned
//! `<mac>.toml` → changes made on the device; and the hash a restarted phone reports is that of
//! the provisioned layers it kept.

use std::time::Instant;

use hardphone::config_store::ConfigStore;
use hardphone::provision::Provisioning;
use phone::config::layers::parse_layer;
use phone::provisioning::config_hash;

const FILE: &str = "[sip]\nkeepalive_secs = 20\nuser_agent = \"file\"\ntls_ca_file = \"/file/ca.pem\"\n\n\
                    [provisioning]\nurl = \"http://file.example/\"\ninterval_minutes = 30\nmac = \"02005e100001\"\n";
const COMMON: &str = "[sip]\nkeepalive_secs = 30\nuser_agent = \"common\"\n";
const MODEL: &str = "[sip]\nuser_agent = \"model\"\n\n[audio]\ntone_region = \"uk\"\n";
const MAC: &str = "[provisioning]\nurl = \"http://mac.example/\"\n\n\
                   [[accounts]]\nlabel = \"desk\"\nserver = \"pbx.example\"\nuser = \"1001\"\npassword = \"mac\"\n";
const DEVICE: &str = "[audio]\ntone_region = \"eu\"\n\n[[accounts]]\nlabel = \"desk\"\npassword = \"device\"\n";

#[test]
fn defaults_then_file_then_common_model_mac_then_device() {
    let dir = std::env::temp_dir().join(format!("hardphone-provisioning-layers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("phone.toml");
    std::fs::write(&file, FILE).unwrap();
    let mut store = ConfigStore::load(Some(&file), &dir).unwrap();
    store.set_provisioned([COMMON.to_owned(), MODEL.to_owned(), MAC.to_owned()]).unwrap();
    let config = store.set_device(parse_layer(DEVICE).unwrap()).unwrap();

    assert_eq!(config.sip.failback_secs, 300, "set nowhere: the built-in default");
    assert_eq!(config.sip.tls_ca_file.as_deref(), Some(std::path::Path::new("/file/ca.pem")), "the file alone");
    assert_eq!(config.provisioning.interval_minutes, 30, "the file over the defaults");
    assert_eq!(config.sip.keepalive_secs, 30, "common over the file");
    assert_eq!(config.sip.user_agent, "model", "model over common");
    assert_eq!(config.provisioning.url.as_deref(), Some("http://mac.example/"), "the MAC file over the file");
    assert_eq!(config.accounts[0].server, "pbx.example", "the MAC file");
    assert_eq!(config.accounts[0].password.expose(), "device", "the device over the MAC file");
    assert_eq!(config.audio.tone_region, phone::config::ToneRegion::Eu, "the device over the model");

    // A restart reads the same layers, and reports the hash of the provisioned texts it kept.
    let again = ConfigStore::load(Some(&file), &dir).unwrap();
    let restarted = again.effective().unwrap();
    assert_eq!(restarted, config);
    let provisioning = Provisioning::new(Instant::now(), &restarted, None, &again, 1);
    assert_eq!(provisioning.status().config_hash, config_hash([COMMON, MODEL, MAC]));
    std::fs::remove_dir_all(&dir).unwrap();
}
