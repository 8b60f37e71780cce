//! The provisioning of the running loop, in process: a fetch at start applies the served
//! layers, the next one is an interval away, and a `check-sync` (what the loop hands over from
//! `Output::CheckSync`) fetches at once, no sooner than 10 s after the last fetch started.

mod provisioning_server;

use std::time::{Duration, Instant};

use hardphone::config_store::ConfigStore;
use hardphone::provision::Provisioning;
use provisioning_server::FileServer;

const MAC_FILE: &str = "02005e100001.toml";

/// One turn of the loop at `at`; the next timeout.
fn tick(provisioning: &mut Provisioning, at: Instant, check_sync: Option<usize>) -> Option<Instant> {
    provisioning.handle_timeout(at, check_sync);
    provisioning.poll_timeout()
}

#[test]
fn check_sync_fetches_at_once_but_not_within_10_s_of_the_last_fetch() {
    let server = FileServer::start(None);
    server.put("common.toml", "[sip]\nkeepalive_secs = 30\n");
    server.put(MAC_FILE, "");
    let dir = std::env::temp_dir().join(format!("hardphone-check-sync-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("phone.toml");
    std::fs::write(&file, format!("[provisioning]\nurl = \"{}\"\nmac = \"02005e100001\"\n", server.url())).unwrap();
    let mut store = ConfigStore::load(Some(&file), &dir).unwrap();
    let config = store.effective().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let t0 = Instant::now();
        let mut provisioning = Provisioning::new(t0, &config, None, &store, 7);
        assert_eq!(tick(&mut provisioning, t0, None), None, "the first fetch runs");
        let fetched =
            tokio::time::timeout(Duration::from_secs(10), provisioning.next_fetched()).await.unwrap().unwrap();
        let applied = provisioning.handle_fetched(t0, fetched, &mut store).expect("new layers");
        assert_eq!(applied.sip.keepalive_secs, 30);
        let next = provisioning.poll_timeout().unwrap();
        assert!(next >= t0 + Duration::from_secs(54 * 60), "an hour ± 10 % away");
        assert_eq!(server.requests().len(), 3);

        // A check-sync 2 s after the fetch started: the next fetch is 10 s after that start.
        assert_eq!(tick(&mut provisioning, t0 + Duration::from_secs(2), Some(0)), Some(t0 + Duration::from_secs(10)));
        // At that time it runs, and unchanged files change nothing.
        assert_eq!(tick(&mut provisioning, t0 + Duration::from_secs(10), None), None, "running");
        let fetched =
            tokio::time::timeout(Duration::from_secs(10), provisioning.next_fetched()).await.unwrap().unwrap();
        assert!(provisioning.handle_fetched(t0 + Duration::from_secs(10), fetched, &mut store).is_none());
        assert_eq!(server.requests().len(), 6);
        assert!(provisioning.status().last_error.is_none());
    });
    std::fs::remove_dir_all(&dir).unwrap();
}
