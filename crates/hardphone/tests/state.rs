//! The instance identifier survives restarts and is written atomically.

use hardphone::state::load_or_create_instance;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("hardphone-state-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn the_identifier_is_made_once_and_kept() {
    let dir = temp_dir("kept");
    let path = dir.join("nested").join("instance-id");
    let first = load_or_create_instance(&path, &mut ChaCha8Rng::seed_from_u64(1)).unwrap();
    let again = load_or_create_instance(&path, &mut ChaCha8Rng::seed_from_u64(2)).unwrap();
    assert_eq!(first, again, "a second boot keeps the identifier whatever the RNG");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{first}\n"));
    assert!(!path.with_file_name("instance-id.tmp").exists(), "no temporary file is left");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_garbled_file_is_replaced() {
    let dir = temp_dir("garbled");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("instance-id");
    std::fs::write(&path, "not a uuid").unwrap();
    let id = load_or_create_instance(&path, &mut ChaCha8Rng::seed_from_u64(3)).unwrap();
    assert!(id.as_str().starts_with("urn:uuid:"));
    assert_eq!(load_or_create_instance(&path, &mut ChaCha8Rng::seed_from_u64(4)).unwrap(), id);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_impossible_path_is_a_precise_error() {
    let dir = temp_dir("unwritable");
    std::fs::create_dir_all(&dir).unwrap();
    let blocker = dir.join("file");
    std::fs::write(&blocker, "x").unwrap();
    let error = load_or_create_instance(&blocker.join("instance-id"), &mut ChaCha8Rng::seed_from_u64(5)).unwrap_err();
    // Reading under a regular file already fails (ENOTDIR): a read error naming the path.
    assert!(error.to_string().starts_with("cannot read") && error.to_string().contains("file/instance-id"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}
