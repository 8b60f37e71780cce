use super::*;

const CSV: &str = "\
mac,extension,auth_user,password,display_name,server,transport,http_password,voicemail,options
# the front desk
00:11:22:33:44:55,1001,,s3cret,\"Desk, Front\",pbx.example.com,TCP,http1,8500,\"expires = 600, auto_answer = \"\"header\"\"\"
001122334456,1002,auth1002,pw2,,pbx.example.com:5080,,,,
";

#[test]
fn csv_inventory() {
    let inventory = Inventory::parse_csv(CSV).unwrap();
    assert_eq!(inventory.len(), 2);
    let desk = inventory.get(&Mac::parse("001122334455").unwrap()).unwrap();
    assert_eq!(desk.line, 3);
    assert_eq!(desk.http_password.expose(), "http1");
    let config = phone::Config::from_toml(&desk.file).unwrap();
    let account = &config.accounts[0];
    assert_eq!((account.label.as_str(), account.user.as_str()), ("1001", "1001"));
    assert_eq!(account.display_name.as_deref(), Some("Desk, Front"));
    assert_eq!(account.transport, phone::Transport::Tcp);
    assert_eq!(account.expires, 600);
    assert_eq!(account.auto_answer, phone::AutoAnswer::Header);
    assert_eq!(account.voicemail.as_deref(), Some("8500"));

    let second = inventory.get(&Mac::parse("001122334456").unwrap()).unwrap();
    assert!(second.http_password.is_empty());
    let config = phone::Config::from_toml(&second.file).unwrap();
    assert_eq!(config.accounts[0].auth_user(), "auth1002");
    assert_eq!(config.accounts[0].server, "pbx.example.com:5080");
    assert_eq!(config.accounts[0].display_name, None);
}

#[test]
fn csv_columns_in_any_order_and_only_the_required_ones() {
    let text = "server,MAC,extension\npbx.example.com,001122334455,1001\n";
    let inventory = Inventory::parse_csv(text).unwrap();
    assert_eq!(inventory.len(), 1);
}

fn csv_error(text: &str) -> String {
    Inventory::parse_csv(text).unwrap_err().to_string()
}

#[test]
fn csv_errors_name_the_line() {
    let header = "mac,extension,password,server,options\n";
    let cases = [
        ("0011223344,1001,pw,pbx,\n", "line 2: mac: not a MAC address"),
        ("001122334455,,pw,pbx,\n", "line 2: extension: must not be empty"),
        ("001122334455,1001,pw,pbx\n", "line 2: 4 fields, the header has 5"),
        ("001122334455,1001,pw,pbx,\n001122334455,1002,pw,pbx,\n", "line 3: mac 001122334455 is also on line 2"),
        ("001122334455,1001,pw,pbx example,\n", "line 2: server: not host[:port]"),
        ("001122334455,10 01,pw,pbx,\n", "line 2: user: a SIP user is letters"),
        ("001122334455,1001,pw,pbx,expires = 5\n", "line 2: expires: must be from 60 to 86400"),
        ("001122334455,1001,pw,pbx,pasword = \"x\"\n", "line 2: unknown field `pasword`"),
        ("001122334455,1001,pw,pbx,password = \"x\"\n", "line 2: options: `password` has its own column"),
        ("001122334455,1001,pw,pbx,expires = \n", "line 2: options: not `key = value, …` in TOML"),
        ("001122334455,1001,pw,pbx,\"a = 1 }\nevil = 2\nx = {\"\n", "line 2: options: not `key = value, …`"),
        ("# comment\n\n001122334455,1001,pw,pbx,transport = \"udp\"\n", "line 4: options: `transport` has its own"),
    ];
    for (body, expected) in cases {
        let error = csv_error(&format!("{header}{body}"));
        assert!(error.starts_with(expected), "{body:?}: {error}");
    }
    assert!(csv_error("mac,extension,server,colour\n").starts_with("line 1: unknown column `colour`"));
    assert_eq!(csv_error("mac,server\n"), "line 1: the header has no `extension` column");
}

const TOML: &str = r#"
[[phones]]
mac = "00:11:22:33:44:55"
extension = "1001"
password = "s3cret"
server = "pbx.example.com"
display_name = 'He said "hi"'
http_password = "http1"

[[phones]]
mac = "001122334456"
extension = "1002"
server = "pbx.example.com"
transport = "tls"
options = { expires = 900 }
"#;

#[test]
fn toml_inventory() {
    let inventory = Inventory::parse_toml(TOML).unwrap();
    assert_eq!(inventory.len(), 2);
    let first = inventory.get(&Mac::parse("001122334455").unwrap()).unwrap();
    let config = phone::Config::from_toml(&first.file).unwrap();
    assert_eq!(config.accounts[0].display_name.as_deref(), Some("He said \"hi\""));
    let second = inventory.get(&Mac::parse("001122334456").unwrap()).unwrap();
    let config = phone::Config::from_toml(&second.file).unwrap();
    assert_eq!(config.accounts[0].expires, 900);
    assert_eq!(config.accounts[0].transport, phone::Transport::Tls);
    assert_eq!(second.line, 10);
}

#[test]
fn toml_errors_name_the_line() {
    let bad_mac = TOML.replace("001122334456", "nonsense");
    let error = Inventory::parse_toml(&bad_mac).unwrap_err().to_string();
    assert!(error.starts_with("line 10: mac: not a MAC address"), "{error}");

    let unknown_key = TOML.replace("http_password", "http_pasword");
    let error = Inventory::parse_toml(&unknown_key).unwrap_err().to_string();
    assert!(error.contains("line 8") && error.contains("unknown field `http_pasword`"), "{error}");

    let bad_option = TOML.replace("expires = 900", "expires = 1");
    let error = Inventory::parse_toml(&bad_option).unwrap_err().to_string();
    assert!(error.starts_with("line 10: expires: must be from 60 to 86400"), "{error}");
}

#[test]
fn format_from_the_file_name() {
    assert_eq!(InventoryFormat::of_path(Path::new("/etc/phones.CSV")), Some(InventoryFormat::Csv));
    assert_eq!(InventoryFormat::of_path(Path::new("phones.toml")), Some(InventoryFormat::Toml));
    assert_eq!(InventoryFormat::of_path(Path::new("phones.txt")), None);
}

#[test]
fn csv_comments_and_blank_lines_keep_line_numbers() {
    let text = "mac,extension,server,display_name\n\n# a comment\n   \n001122334455,1001,pbx,\"two\n\n# lines\"\n001122334456,1002,pbx example,\n";
    let error = Inventory::parse_csv(text).unwrap_err().to_string();
    assert!(error.starts_with("line 8: server: not host[:port]"), "{error}");
    let fixed = text.replace("pbx example", "pbx");
    let inventory = Inventory::parse_csv(&fixed).unwrap();
    let first = inventory.get(&Mac::parse("001122334455").unwrap()).unwrap();
    assert_eq!(first.line, 5);
    assert_eq!(first.account.display_name.as_deref(), Some("two\n\n# lines"), "a quoted field keeps its lines");
}

#[test]
fn syntax_errors_do_not_repeat_the_line() {
    let unterminated = TOML.replace("password = \"s3cret\"", "password = \"s3cret");
    let error = Inventory::parse_toml(&unterminated).unwrap_err().to_string();
    assert!(error.starts_with("line 5: "), "{error}");
    assert!(!error.contains("s3cret"), "a password must not be echoed: {error}");
}
