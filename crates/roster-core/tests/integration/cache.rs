//! The snapshot cache with real data from the reference server: round trip, age, no invite
//! link (a bearer token) on disk, unusable files read as "no cache", and 10,000 members come
//! back whole.

use crate::common;

use std::time::Instant;

use common::TestServer;
use roster_core::api::InviteStatus;
use roster_core::cache::CACHE_VERSION;
use roster_core::{Cache, Snapshot, TeamClient};

async fn snapshot_of(client: &TeamClient) -> Snapshot {
    Snapshot {
        me: client.me().await.unwrap(),
        roles: client.roles().await.unwrap(),
        members: client.all_members(&Default::default()).await.unwrap(),
        invites: client.all_invites(&Default::default()).await.unwrap(),
        audit: client.audit(&Default::default(), Some(100), None).await.unwrap().data,
    }
}

#[tokio::test]
async fn given_a_real_snapshot_when_saved_and_loaded_then_it_round_trips_without_invite_links() {
    // Given the owner's view of a demo account, with pending invites and their links
    let server = TestServer::start().await;
    let snapshot = snapshot_of(&server.owner("owner-member-link")).await;
    let links: Vec<String> = snapshot.invites.iter().filter_map(|i| i.link.clone()).collect();
    assert!(!links.is_empty(), "the demo account has pending invites with links");
    assert!(snapshot.invites.iter().any(|i| i.status == InviteStatus::Pending));
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::at(tmp.path().join("snapshots"));

    // When it is saved and read back
    let saved_at = cache.save("acc_1", &snapshot).unwrap();
    let cached = cache.load("acc_1").expect("a fresh cache reads back");

    // Then everything but the links came back, with its save time and a small age
    let mut expected = snapshot.clone();
    for i in &mut expected.invites {
        i.link = None;
    }
    assert_eq!(cached.snapshot, expected);
    assert_eq!(cached.saved_at, saved_at);
    assert!(
        cached.age() < chrono::Duration::seconds(5) && cached.age() >= chrono::Duration::zero()
    );
    // and no link nor join token is in the file
    let text = std::fs::read_to_string(cache.file_of("acc_1")).unwrap();
    for link in &links {
        assert!(!text.contains(link.as_str()), "an invite link is in the cache");
        assert!(!text.contains(common::token_of(link).as_str()), "a join token is in the cache");
    }
    assert!(!text.contains("\"link\":\""));
    // and no API key either
    for key in server.all_key_texts() {
        assert!(!text.contains(&key));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(cache.file_of("acc_1")).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // and another account has no cache
    assert!(cache.load("acc_2").is_none());
    // and the live stream's resume point reads the same events without the members
    assert_eq!(cache.load_audit("acc_1"), Some((saved_at, cached.snapshot.audit.clone())));
    assert!(!cached.snapshot.audit.is_empty());
    assert!(cache.load_audit("acc_2").is_none());
}

#[test]
fn given_a_corrupt_file_when_loaded_then_no_cache_and_the_file_is_gone() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::at(tmp.path());
    let path = cache.file_of("acc_1");

    // Cut off mid-way (a crash of some other writer, a full disk)
    std::fs::write(&path, br#"{"version":1,"account":"acc_1","saved_at":"2024-01-01T00:00:00Z","snapshot":{"me":{"acc"#).unwrap();
    assert!(cache.load("acc_1").is_none());
    assert!(!path.exists(), "the unusable file was not deleted");

    // Not JSON at all
    std::fs::write(&path, [0xff, 0x00, 0x13]).unwrap();
    assert!(cache.load("acc_1").is_none());
    assert!(!path.exists());

    // Removing what is not there is fine
    cache.remove("acc_1").unwrap();
}

#[tokio::test]
async fn given_a_good_snapshot_of_an_old_version_or_of_another_account_when_loaded_then_no_cache() {
    let server = TestServer::start().await;
    let snapshot = snapshot_of(&server.owner("six-roles-2fa")).await;
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::at(tmp.path());
    cache.save("acc_a", &snapshot).unwrap();
    let text = std::fs::read_to_string(cache.file_of("acc_a")).unwrap();

    // Copied over another account's file (by hand, a sync tool, ...)
    std::fs::copy(cache.file_of("acc_a"), cache.file_of("acc_b")).unwrap();
    assert!(
        cache.load_audit("acc_b").is_none(),
        "another account's events would resume the wrong stream"
    );
    assert!(cache.load("acc_b").is_none());
    assert!(!cache.file_of("acc_b").exists());

    // Written by an older Roster: the same data under the previous version number
    let current = format!("\"version\":{CACHE_VERSION},");
    assert!(text.starts_with(&format!("{{{current}")), "{}", &text[..40]);
    std::fs::write(
        cache.file_of("acc_a"),
        text.replacen(&current, &format!("\"version\":{},", CACHE_VERSION - 1), 1),
    )
    .unwrap();
    assert!(cache.load_audit("acc_a").is_none());
    assert!(cache.load("acc_a").is_none());
    assert!(!cache.file_of("acc_a").exists());

    // Saved again, it loads; removed, it is gone
    cache.save("acc_a", &snapshot).unwrap();
    assert!(cache.load("acc_a").is_some());
    cache.remove("acc_a").unwrap();
    assert!(cache.load("acc_a").is_none());
}

#[tokio::test]
async fn given_10000_members_when_saved_and_loaded_then_every_member_comes_back() {
    // Given a real team of 10,000 members fetched page by page from the server
    let server = TestServer::start_seeded(roster_server::Limits::relaxed(), |db| {
        vec![
            roster_server::seed::scale(
                db,
                "Scale Co",
                "owner-member-link",
                10_000,
                50,
                chrono::Utc::now(),
            )
            .expect("seed 10,000 members"),
        ]
    })
    .await;
    let client = server.client_for_key(&server.accounts[0].keys[0].key);
    let snapshot = snapshot_of(&client).await;
    assert!(snapshot.members.len() >= 10_000, "{} members", snapshot.members.len());
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::at(tmp.path());

    // When saving and loading it
    let started = Instant::now();
    cache.save("scale", &snapshot).unwrap();
    let save_took = started.elapsed();
    let started = Instant::now();
    let cached = cache.load("scale").unwrap();
    let load_took = started.elapsed();

    // Then it is all there (how fast is BENCHMARKS.md's business: the times printed here are
    // of a debug build, for a reader of the test log)
    let size = std::fs::metadata(cache.file_of("scale")).unwrap().len();
    println!(
        "cache of {} members: {} KB, save {save_took:?}, load {load_took:?}",
        cached.snapshot.members.len(),
        size / 1024
    );
    assert_eq!(cached.snapshot.members.len(), snapshot.members.len());
    assert_eq!(cached.snapshot.members, snapshot.members);
}
